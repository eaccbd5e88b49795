using ScottPlot;

namespace FluentAttrib.Plotting;

/// <summary>
/// Figures of a <see cref="ComparisonReport"/>: the mean curve of a curve metric per method (e.g. deletion and
/// insertion curves) and a bar chart of a metric's mean score per method with its standard deviation. Each returns a
/// ScottPlot <see cref="Plot"/> to show or save (<c>plot.SavePng(path, 800, 500)</c>).
/// </summary>
public static class ComparisonPlotExtensions
{
    /// <summary>
    /// The mean curve of metric <paramref name="metric"/> (its index in <see cref="ComparisonReport.Metrics"/>) for every
    /// method, one line each, the x axis the fraction of the curve (0 = start, 1 = every step done).
    /// </summary>
    /// <exception cref="ArgumentException">The metric returns no curve (it scores each example with one number).</exception>
    public static Plot CurvesPlot(this ComparisonReport report, int metric)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentOutOfRangeException.ThrowIfNegative(metric);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(metric, report.Metrics.Count);
        var plot = NewPlot();
        var palette = new ScottPlot.Palettes.Category10();
        for (int m = 0; m < report.Methods.Count; m++)
        {
            var curve = report.Curve(m, metric)
                ?? throw new ArgumentException($"{report.Metrics[metric]} scores each example with one number; it has no curve to draw.", nameof(metric));
            var ys = curve.ToArray();
            var xs = Enumerable.Range(0, ys.Length).Select(i => ys.Length == 1 ? 0 : i / (double)(ys.Length - 1)).ToArray();
            var line = plot.Add.ScatterLine(xs, ys, palette.GetColor(m));
            line.LineWidth = 2;
            line.LegendText = $"{report.Methods[m]} ({report.Mean(m, metric):0.000})";
        }
        plot.Title(report.Metrics[metric]);
        plot.XLabel("fraction of features removed or inserted");
        plot.YLabel("score");
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    /// <summary>
    /// A bar per method: the mean score of metric <paramref name="metric"/> over the examples with its standard
    /// deviation; the best method's bar is highlighted.
    /// </summary>
    public static Plot ScoresPlot(this ComparisonReport report, int metric)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentOutOfRangeException.ThrowIfNegative(metric);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(metric, report.Metrics.Count);
        var plot = NewPlot();
        int best = report.MostFaithful(metric);
        var bars = Enumerable.Range(0, report.Methods.Count).Select(m => new Bar
        {
            Position = m,
            Value = report.Mean(m, metric),
            Error = report.StdDev(m, metric),
            FillColor = m == best ? Colors.DarkOrange : Colors.SteelBlue,
        }).ToList();
        plot.Add.Bars(bars);
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, report.Methods.Count).Select(i => (double)i).ToArray(), report.Methods.ToArray());
        plot.Title($"{report.Metrics[metric]} ({(report.HigherIsBetter(metric) ? "higher" : "lower")} is better)");
        plot.YLabel("mean ± standard deviation");
        return plot;
    }

    private static Plot NewPlot()
    {
        var plot = new Plot();
        plot.Font.Set(FigureFont.Resolve(null));
        return plot;
    }
}
