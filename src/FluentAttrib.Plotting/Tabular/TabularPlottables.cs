using ScottPlot;
using SkiaSharp;

namespace FluentAttrib.Plotting;

/// <summary>The shared parts of the tabular plottables: visibility, axes, no legend.</summary>
internal abstract class TabularPlottable : IPlottable
{
    public bool IsVisible { get; set; } = true;

    public IAxes Axes { get; set; } = new Axes();

    public IEnumerable<LegendItem> LegendItems => [];

    public abstract AxisLimits GetAxisLimits();

    public abstract void Render(RenderPack rp);

    protected Pixel PixelOf(double x, double y) => Axes.GetPixel(new Coordinates(x, y));

    protected static SKPaint Fill(Color color) => new() { Style = SKPaintStyle.Fill, IsAntialias = true, Color = color.ToSKColor() };
}

/// <summary>
/// The beeswarm's dots: one row of dots per displayed feature, each dot an example at its attribution, stacked up and
/// down where dots crowd (attributions binned into 100 bins per row; within a bin dots alternate above and below the
/// row's line, in example order), colored by <see cref="ShapColors.RedBlue"/> at their feature value's position (gray
/// when it is not a number).
/// </summary>
internal sealed class BeeswarmDots : TabularPlottable, IHasColorAxis
{
    private const int Bins = 100;
    private const double RowHeight = 0.4;
    private readonly double[][] _x;
    private readonly double[][] _color;
    private readonly double[] _rowY;
    private readonly double[][] _offset;

    public BeeswarmDots(double[][] x, double[][] colorPositions, double[] rowY)
    {
        _x = x;
        _color = colorPositions;
        _rowY = rowY;
        _offset = x.Select(Swarm).ToArray();
    }

    public float Radius { get; set; } = 2.8f;

    public IColormap Colormap => ShapColors.RedBlue;

    public ScottPlot.Range GetRange() => new(0, 1);

    /// <summary>Vertical offsets (data units) of one row's dots.</summary>
    private static double[] Swarm(double[] x)
    {
        int n = x.Length;
        var offsets = new double[n];
        if (n == 0) return offsets;
        double min = x.Min(), max = x.Max();
        var bin = x.Select(v => (int)Math.Round(Bins * (v - min) / (max - min + 1e-8))).ToArray();
        var order = Enumerable.Range(0, n).OrderBy(i => bin[i]).ThenBy(i => i).ToArray();
        int layer = 0, last = -1;
        foreach (int i in order)
        {
            if (bin[i] != last)
            {
                layer = 0;
                last = bin[i];
            }
            offsets[i] = Math.Ceiling(layer / 2.0) * (layer % 2 == 1 ? 1 : -1);
            layer++;
        }
        double peak = offsets.Max(o => o + 1);
        double scale = 0.9 * (RowHeight / peak);
        for (int i = 0; i < n; i++) offsets[i] *= scale;
        return offsets;
    }

    public override AxisLimits GetAxisLimits()
    {
        var all = _x.SelectMany(v => v).DefaultIfEmpty(0).ToArray();
        return new AxisLimits(all.Min(), all.Max(), -1, _rowY.Length);
    }

    public override void Render(RenderPack rp)
    {
        ArgumentNullException.ThrowIfNull(rp);
        using var paint = Fill(ShapColors.Missing);
        // Gray dots (values that are not numbers) first, then the colored ones on top, as SHAP draws them.
        for (int pass = 0; pass < 2; pass++)
            for (int row = 0; row < _x.Length; row++)
                for (int i = 0; i < _x[row].Length; i++)
                {
                    double c = _color[row][i];
                    if (double.IsNaN(c) != (pass == 0)) continue;
                    paint.Color = (double.IsNaN(c) ? ShapColors.Missing : ShapColors.RedBlue.GetColor(c)).ToSKColor();
                    var p = PixelOf(_x[row][i], _rowY[row] + _offset[row][i]);
                    rp.Canvas.DrawCircle(p.X, p.Y, Radius, paint);
                }
    }
}

/// <summary>The bar view's bars: from 0 to each row's mean |attribution|, labelled with the value to their right.</summary>
internal sealed class HorizontalBars(double[] y, double[] widths, string font) : TabularPlottable
{
    private const double BarHeight = 0.7;

    public override AxisLimits GetAxisLimits() => new(0, widths.DefaultIfEmpty(1).Max(), -0.5, y.Length - 0.5);

    public override void Render(RenderPack rp)
    {
        ArgumentNullException.ThrowIfNull(rp);
        using var paint = Fill(ShapColors.Negative);
        using var textFont = new SKFont(FigureFont.Typeface(font), 12) { Subpixel = true };
        using var text = Fill(ShapColors.Negative);
        for (int j = 0; j < y.Length; j++)
        {
            var a = PixelOf(0, y[j] + BarHeight / 2);
            var b = PixelOf(widths[j], y[j] - BarHeight / 2);
            rp.Canvas.DrawRect(SKRect.Create(a.X, a.Y, b.X - a.X, b.Y - a.Y), paint);
            var mid = PixelOf(widths[j], y[j]);
            rp.Canvas.DrawText(TabularPlots.Signed(widths[j]), mid.X + 5, mid.Y + 4.5f, SKTextAlign.Left, textFont, text);
        }
    }
}

/// <summary>
/// The waterfall's arrows: one per row from <see cref="Arrow.Start"/> to <see cref="Arrow.End"/> (red when the
/// feature raises the output, blue when it lowers it), labelled with the signed attribution, with dashed connectors
/// between consecutive arrows, the base value <c>E[f(X)]</c> marked under the bottom row and <c>f(x)</c> above the top.
/// </summary>
internal sealed class WaterfallArrows(WaterfallArrows.Arrow[] arrows, double baseValue, double fx, string font) : TabularPlottable
{
    internal readonly record struct Arrow(double Start, double End, double Y);

    private const double BarHeight = 0.8;
    private const float HeadLength = 8;

    public override AxisLimits GetAxisLimits()
    {
        var xs = arrows.SelectMany(a => new[] { a.Start, a.End }).Append(baseValue).Append(fx).ToArray();
        return new AxisLimits(xs.Min(), xs.Max(), -1, arrows.Length);
    }

    public override void Render(RenderPack rp)
    {
        ArgumentNullException.ThrowIfNull(rp);
        var canvas = rp.Canvas;
        var data = rp.DataRect;
        using var dashed = new SKPaint
        {
            Style = SKPaintStyle.Stroke, StrokeWidth = 1, IsAntialias = true, Color = TabularPlots.LineGray.ToSKColor(),
            PathEffect = SKPathEffect.CreateDash([4, 3], 0),
        };
        // f(x) across the whole plot; the base value under the bottom arrow; a connector where each arrow meets the next.
        float fxX = PixelOf(fx, 0).X, baseX = PixelOf(baseValue, 0).X;
        canvas.DrawLine(fxX, data.Top, fxX, data.Bottom, dashed);
        canvas.DrawLine(baseX, PixelOf(0, -BarHeight / 2).Y, baseX, data.Bottom, dashed);
        foreach (var a in arrows.Where(a => a.Y > 0))
        {
            float x = PixelOf(a.Start, 0).X;
            canvas.DrawLine(x, PixelOf(0, a.Y + BarHeight / 2).Y, x, PixelOf(0, a.Y - 1 - BarHeight / 2).Y, dashed);
        }

        // The typeface belongs to ScottPlot's shared cache: never dispose it (a disposed cached typeface corrupts every
        // later figure's text in the process).
        using var textFont = new SKFont(FigureFont.Typeface(font), 12) { Subpixel = true };
        using var white = Fill(Colors.White);
        foreach (var a in arrows)
        {
            bool up = a.End >= a.Start;
            var color = up ? ShapColors.Positive : ShapColors.Negative;
            using var paint = Fill(color);
            float x0 = PixelOf(a.Start, 0).X, x1 = PixelOf(a.End, 0).X;
            float top = PixelOf(0, a.Y + BarHeight / 2).Y, bottom = PixelOf(0, a.Y - BarHeight / 2).Y, mid = (top + bottom) / 2;
            float length = Math.Abs(x1 - x0), head = Math.Min(HeadLength, length), dir = up ? 1 : -1;
            using (var path = new SKPath())
            {
                path.MoveTo(x0, top);
                path.LineTo(x1 - dir * head, top);
                path.LineTo(x1, mid);
                path.LineTo(x1 - dir * head, bottom);
                path.LineTo(x0, bottom);
                path.Close();
                canvas.DrawPath(path, paint);
            }
            string label = TabularPlots.Signed(a.End - a.Start);
            float width = textFont.MeasureText(label);
            if (width + 6 < length - head)
                canvas.DrawText(label, (x0 + x1 - dir * head) / 2, mid + 4.5f, SKTextAlign.Center, textFont, white);
            else
                canvas.DrawText(label, x1 + dir * 5, mid + 4.5f, up ? SKTextAlign.Left : SKTextAlign.Right, textFont, paint);
        }

        using var gray = Fill(TabularPlots.LabelGray);
        float fxY = PixelOf(0, arrows.Length - 1 + BarHeight / 2).Y - 8;
        Label(canvas, $"f(x) = {TabularPlots.Format(fx, 3)}", fxX, fxY, data, textFont, gray);
        float baseY = PixelOf(0, -BarHeight / 2).Y + 18;
        Label(canvas, $"E[f(X)] = {TabularPlots.Format(baseValue, 3)}", baseX, baseY, data, textFont, gray);
    }

    /// <summary>Draws <paramref name="text"/> centered on <paramref name="x"/>, shifted to stay inside the data area.</summary>
    private static void Label(SKCanvas canvas, string text, float x, float y, PixelRect data, SKFont font, SKPaint paint)
    {
        float half = font.MeasureText(text) / 2;
        float center = Math.Clamp(x, data.Left + half + 2, Math.Max(data.Left + half + 2, data.Right - half - 2));
        canvas.DrawText(text, center, y, SKTextAlign.Center, font, paint);
    }
}

/// <summary>The dependence view's dots: one per example, in one color or colored by a second feature's values.</summary>
internal sealed class DependenceDots(double[] x, double[] y, double[]? colorPositions, ScottPlot.Range colorRange) : TabularPlottable, IHasColorAxis
{
    public float Radius { get; set; } = 2.8f;

    public IColormap Colormap => ShapColors.RedBlue;

    public ScottPlot.Range GetRange() => colorRange;

    public override AxisLimits GetAxisLimits() => new(x.Min(), x.Max(), y.Min(), y.Max());

    public override void Render(RenderPack rp)
    {
        ArgumentNullException.ThrowIfNull(rp);
        using var paint = Fill(ShapColors.Blue);
        for (int pass = 0; pass < 2; pass++)
            for (int i = 0; i < x.Length; i++)
            {
                double c = colorPositions?[i] ?? 0;
                if (double.IsNaN(c) != (pass == 0)) continue;
                paint.Color = (colorPositions is null ? ShapColors.Blue : double.IsNaN(c) ? ShapColors.Missing : ShapColors.RedBlue.GetColor(c)).ToSKColor();
                var p = PixelOf(x[i], y[i]);
                rp.Canvas.DrawCircle(p.X, p.Y, Radius, paint);
            }
    }
}

/// <summary>A light histogram of the feature's values behind a dependence view (the tallest bin a fifth of the plot high).</summary>
internal sealed class Histogram(double[] values) : TabularPlottable
{
    private const int MaxBins = 50;

    public override AxisLimits GetAxisLimits() => AxisLimits.NoLimits;

    public override void Render(RenderPack rp)
    {
        ArgumentNullException.ThrowIfNull(rp);
        int distinct = values.Distinct().Count();
        int bins = Math.Clamp(distinct, 1, MaxBins);
        double lo = values.Min(), hi = values.Max();
        if (!(hi > lo))
        {
            lo -= 0.5;
            hi += 0.5;
        }
        var counts = new int[bins];
        foreach (var v in values) counts[Math.Min(bins - 1, (int)((v - lo) / (hi - lo) * bins))]++;
        int most = counts.Max();
        var data = rp.DataRect;
        using var paint = Fill(Color.FromHex("#CCCCCC").WithAlpha(0.6));
        for (int b = 0; b < bins; b++)
        {
            if (counts[b] == 0) continue;
            float x0 = PixelOf(lo + (hi - lo) * b / bins, 0).X, x1 = PixelOf(lo + (hi - lo) * (b + 1) / bins, 0).X;
            float h = data.Height * 0.2f * counts[b] / most;
            rp.Canvas.DrawRect(SKRect.Create(x0, data.Bottom - h, Math.Max(1, x1 - x0 - 1), h), paint);
        }
    }
}
