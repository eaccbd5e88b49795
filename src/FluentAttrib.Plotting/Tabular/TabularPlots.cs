using System.Globalization;
using ScottPlot;

namespace FluentAttrib.Plotting;

/// <summary>Builds the four SHAP-style views into a ScottPlot <see cref="Plot"/>; returns the default figure size.</summary>
internal static class TabularPlots
{
    /// <summary>matplotlib's 100 dots per inch, so SHAP's figure sizes in inches become pixels.</summary>
    private const int Dpi = 100;

    public static readonly Color LineGray = Color.FromHex("#999999");
    public static readonly Color GridGray = Color.FromHex("#CCCCCC");
    public static readonly Color LabelGray = Color.FromHex("#333333");

    /// <summary>A displayed row: one feature, or the sum of the features that did not fit.</summary>
    internal sealed record DisplayRow(string Label, int[] Features)
    {
        public bool IsOthers => Features.Length != 1;
    }

    /// <summary>
    /// Features by decreasing importance (ties by index); when there are more than <paramref name="maxDisplay"/>,
    /// the last row sums the rest (SHAP's "Sum of N other features").
    /// </summary>
    public static DisplayRow[] Rows(double[] importance, string[] names, int maxDisplay)
    {
        var order = Enumerable.Range(0, importance.Length).OrderByDescending(f => importance[f]).ThenBy(f => f).ToArray();
        if (order.Length <= maxDisplay) return order.Select(f => new DisplayRow(names[f], [f])).ToArray();
        var shown = order.Take(maxDisplay - 1).Select(f => new DisplayRow(names[f], [f]));
        var rest = order.Skip(maxDisplay - 1).ToArray();
        return [.. shown, new DisplayRow($"Sum of {rest.Length} other features", rest)];
    }

    public static (int, int) Beeswarm(Plot plot, TabularData data, int maxDisplay, string font)
    {
        var importance = Enumerable.Range(0, data.Features).Select(f => Enumerable.Range(0, data.Rows).Average(r => Math.Abs(data.Phi(r, f)))).ToArray();
        var rows = Rows(importance, data.Names, maxDisplay);
        int n = rows.Length;
        var xs = new double[n][];
        var colors = new double[n][];
        for (int j = 0; j < n; j++)
        {
            var row = rows[j];
            xs[j] = Enumerable.Range(0, data.Rows).Select(r => row.Features.Sum(f => data.Phi(r, f))).ToArray();
            colors[j] = row.IsOthers || data.Values is null
                ? Enumerable.Repeat(double.NaN, data.Rows).ToArray()
                : ColorPositions(Enumerable.Range(0, data.Rows).Select(r => data.Value(r, row.Features[0])).ToArray());
        }
        var dots = new BeeswarmDots(xs, colors, RowY(n));
        foreach (double y in RowY(n)) RowLine(plot, y);
        plot.Add.VerticalLine(0, 1, LineGray);
        plot.Add.Plottable(dots);
        var (lo, hi) = Extent(xs.SelectMany(x => x).Append(0));
        plot.Axes.SetLimits(lo, hi, -1, n);
        RowLabels(plot, rows.Select(r => r.Label).ToArray());
        plot.XLabel("SHAP value (impact on model output)", 13);
        if (data.Values is not null)
        {
            var bar = plot.Add.ColorBar(dots, Edge.Right);
            bar.Label = "Feature value";
            bar.LabelStyle.FontSize = 13;
            bar.LabelStyle.Bold = false;
            bar.Width = 12;
            bar.Axis.TickGenerator = new ScottPlot.TickGenerators.NumericManual([0.0, 1.0], ["Low", "High"]);
            bar.Axis.MajorTickStyle.Length = 0;
            bar.Axis.TickLabelStyle.FontSize = 12;
        }
        return (8 * Dpi, (int)Math.Round((0.4 * n + 1.5) * Dpi));
    }

    public static (int, int) Bar(Plot plot, TabularData data, int maxDisplay, string font)
    {
        var importance = Enumerable.Range(0, data.Features).Select(f => Enumerable.Range(0, data.Rows).Average(r => Math.Abs(data.Phi(r, f)))).ToArray();
        var rows = Rows(importance, data.Names, maxDisplay);
        int n = rows.Length;
        var widths = rows.Select(r => r.Features.Sum(f => importance[f])).ToArray();
        var ys = RowY(n);
        var bars = new HorizontalBars(ys, widths, font);
        plot.Add.Plottable(bars);
        plot.Add.VerticalLine(0, 1, Colors.Black);
        double max = widths.Max();
        double right = max > 0 ? max * 1.15 : 1;
        plot.Axes.SetLimits(0, right, -0.6, n - 0.4);
        RowLabels(plot, rows.Select(r => r.Label).ToArray());
        plot.XLabel("mean(|SHAP value|)", 13);
        return (8 * Dpi, (int)Math.Round((0.5 * n + 1.5) * Dpi));
    }

    public static (int, int) Waterfall(Plot plot, TabularData data, int maxDisplay, int example, double baseValue, string font)
    {
        var phi = Enumerable.Range(0, data.Features).Select(f => data.Phi(example, f)).ToArray();
        var rows = Rows(phi.Select(Math.Abs).ToArray(), data.Names, maxDisplay);
        int n = rows.Length;
        double fx = baseValue + phi.Sum();
        // From the top row (largest |φ|) down, each arrow ends where the one above starts: the top one ends at f(x),
        // the bottom one starts at the base value.
        var arrows = new WaterfallArrows.Arrow[n];
        double end = fx;
        var labels = new string[n];
        for (int j = 0; j < n; j++)
        {
            var row = rows[j];
            double value = row.Features.Sum(f => phi[f]);
            double start = end - value;
            arrows[j] = new WaterfallArrows.Arrow(start, end, n - 1 - j);
            end = start;
            if (row.IsOthers) labels[j] = $"{row.Features.Length} other features";
            else
            {
                double v = data.Value(example, row.Features[0]);
                labels[j] = double.IsNaN(v) ? row.Label : $"{Format(v, 3)} = {row.Label}";
            }
        }
        var plottable = new WaterfallArrows(arrows, baseValue, fx, font);
        for (int j = 0; j < n; j++) RowLine(plot, j);
        plot.Add.Plottable(plottable);
        var (lo, hi) = Extent(arrows.SelectMany(a => new[] { a.Start, a.End }).Append(baseValue).Append(fx));
        // Room for the labels written beside arrows too short to hold them (SHAP pads its axes the same way).
        double room = 0.08 * (hi - lo);
        plot.Axes.SetLimits(lo - room, hi + room, -1.1, n + 0.1);
        RowLabels(plot, labels);
        return (8 * Dpi, (int)Math.Round((0.5 * n + 1.5) * Dpi));
    }

    public static (int, int) Dependence(Plot plot, TabularData data, int feature, int? colorFeature, string font)
    {
        if (data.Values is null)
            throw new MissingInputException("A dependence view draws attributions against feature values: give them with Over(featureValues).");
        var x = new List<double>();
        var y = new List<double>();
        var c = new List<double>();
        for (int r = 0; r < data.Rows; r++)
        {
            double v = data.Value(r, feature);
            if (double.IsNaN(v)) continue;
            x.Add(v);
            y.Add(data.Phi(r, feature));
            c.Add(colorFeature is { } cf ? data.Value(r, cf) : double.NaN);
        }
        if (x.Count == 0)
            throw new ArgumentException($"Feature '{data.Names[feature]}' has no numeric values (text, a whole vector?); a dependence view needs numbers.", "featureValues");
        double[]? positions = colorFeature is null ? null : ColorPositions(c.ToArray());
        var (vmin, vmax) = colorFeature is null ? (0, 1) : ColorLimits(c.ToArray());
        var dots = new DependenceDots(x.ToArray(), y.ToArray(), positions, new ScottPlot.Range(vmin, vmax));
        var (xlo, xhi) = Extent(x);
        var (ylo, yhi) = Extent(y);
        plot.Add.Plottable(new Histogram(x.ToArray()));
        plot.Add.Plottable(dots);
        plot.Axes.SetLimits(xlo, xhi, ylo, yhi);
        plot.HideGrid();
        foreach (var axis in new IAxis[] { plot.Axes.Top, plot.Axes.Right })
        {
            axis.FrameLineStyle.Width = 0;
            axis.FrameLineStyle.Color = Colors.Transparent;
        }
        plot.Axes.Bottom.MinorTickStyle.Length = 0;
        plot.Axes.Left.MinorTickStyle.Length = 0;
        plot.XLabel(data.Names[feature], 13);
        plot.YLabel("SHAP value for " + data.Names[feature], 13);
        if (colorFeature is { } k)
        {
            var bar = plot.Add.ColorBar(dots, Edge.Right);
            bar.Label = data.Names[k];
            bar.LabelStyle.FontSize = 13;
            bar.LabelStyle.Bold = false;
            bar.Width = 12;
            bar.Axis.TickLabelStyle.FontSize = 12;
        }
        return (640, 480);
    }

    /// <summary>Row centers from the top row (index 0, at the top) down: n − 1, …, 0.</summary>
    private static double[] RowY(int n) => Enumerable.Range(0, n).Select(j => (double)(n - 1 - j)).ToArray();

    private static void RowLine(Plot plot, double y)
    {
        var line = plot.Add.HorizontalLine(y, 0.5f, GridGray, LinePattern.Dotted);
        line.LabelText = "";
    }

    /// <summary>Labels rows (top first) on the left axis; only the bottom axis keeps its frame and ticks, as SHAP's plots do.</summary>
    private static void RowLabels(Plot plot, string[] labels)
    {
        int n = labels.Length;
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int j = 0; j < n; j++) ticks.AddMajor(n - 1 - j, labels[j]);
        plot.Axes.Left.TickGenerator = ticks;
        plot.Axes.Left.MajorTickStyle.Length = 0;
        plot.Axes.Left.MinorTickStyle.Length = 0;
        plot.Axes.Left.TickLabelStyle.FontSize = 13;
        plot.Axes.Left.TickLabelStyle.ForeColor = LabelGray;
        foreach (var axis in new IAxis[] { plot.Axes.Left, plot.Axes.Top, plot.Axes.Right })
        {
            axis.FrameLineStyle.Width = 0;
            axis.FrameLineStyle.Color = Colors.Transparent;
        }
        plot.Axes.Bottom.TickLabelStyle.FontSize = 12;
        plot.Axes.Bottom.MinorTickStyle.Length = 0;
        plot.HideGrid();
    }

    /// <summary>The data range padded by 5% on each side (a unit range around a single value).</summary>
    private static (double, double) Extent(IEnumerable<double> values)
    {
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        foreach (var v in values)
        {
            lo = Math.Min(lo, v);
            hi = Math.Max(hi, v);
        }
        if (!(hi > lo))
        {
            lo -= 0.5;
            hi += 0.5;
        }
        double pad = (hi - lo) * 0.05;
        return (lo - pad, hi + pad);
    }

    /// <summary>
    /// SHAP's color limits for feature values: the 5th and 95th percentiles, else the 1st and 99th, else the minimum
    /// and maximum (NaN ignored).
    /// </summary>
    internal static (double Min, double Max) ColorLimits(double[] values)
    {
        var finite = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (finite.Length == 0) return (0, 1);
        double lo = Percentile(finite, 5), hi = Percentile(finite, 95);
        if (lo == hi)
        {
            lo = Percentile(finite, 1);
            hi = Percentile(finite, 99);
            if (lo == hi)
            {
                lo = finite[0];
                hi = finite[^1];
            }
        }
        return (lo, hi);
    }

    /// <summary>Positions in [0, 1] on the colormap (NaN stays NaN: drawn gray); all 0.5 when every value is equal.</summary>
    internal static double[] ColorPositions(double[] values)
    {
        var (lo, hi) = ColorLimits(values);
        return values.Select(v => double.IsNaN(v) ? double.NaN : hi > lo ? Math.Clamp((v - lo) / (hi - lo), 0, 1) : 0.5).ToArray();
    }

    /// <summary>numpy's default (linear) percentile of sorted values.</summary>
    private static double Percentile(double[] sorted, double p)
    {
        double at = p / 100 * (sorted.Length - 1);
        int i = (int)Math.Floor(at);
        if (i >= sorted.Length - 1) return sorted[^1];
        return sorted[i] + (sorted[i + 1] - sorted[i]) * (at - i);
    }

    /// <summary>A number with at most <paramref name="digits"/> decimals, trailing zeros dropped (SHAP's <c>format_value</c>).</summary>
    internal static string Format(double value, int digits)
    {
        string s = value.ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        if (s.Contains('.', StringComparison.Ordinal)) s = s.TrimEnd('0').TrimEnd('.');
        return s == "-0" ? "0" : s.Replace('-', '\u2212');
    }

    /// <summary>A signed number with two decimals, as SHAP labels arrows and bars (<c>+0.12</c>, <c>−0.3</c>).</summary>
    internal static string Signed(double value)
    {
        string s = Format(Math.Abs(value), 2);
        return (value < 0 ? "\u2212" : "+") + s;
    }
}
