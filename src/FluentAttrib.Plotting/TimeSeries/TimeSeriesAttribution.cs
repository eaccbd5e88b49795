using ScottPlot;
using SkiaSharp;

namespace FluentAttrib.Plotting;

/// <summary>
/// A ScottPlot plottable drawing one panel of a time-series view: line(s) over a heat strip of attributions, or a
/// line colored by them. Create it with <c>plot.Add.TimeSeriesAttribution(...)</c>. The x values may be uneven:
/// each strip reaches halfway to its neighbors (Captum uses the first spacing for all).
/// </summary>
public sealed class TimeSeriesAttribution : IPlottable, IHasColorAxis
{
    private readonly double[] _x;
    private readonly double[][] _series;
    private readonly Color[] _colors;
    private readonly string?[] _labels;
    private readonly double[] _norm;
    private readonly IColormap _colormap;
    private readonly (double Min, double Max) _range;
    private readonly ScottPlot.Range _colorRange;

    internal TimeSeriesAttribution(TimeSeriesView view, double[] x, double[][] series, Color[] colors, string?[] labels,
        double[] norm, (double Min, double Max) range, ScottPlot.Range colorRange, IReadOnlyList<string> notes)
    {
        View = view;
        _x = x;
        _series = series;
        _colors = colors;
        _labels = labels;
        _norm = norm;
        _colormap = view.EffectiveColormap;
        _range = range;
        _colorRange = colorRange;
        Notes = notes;
        Colormap = view.Method == TimeSeriesMethod.ColoredGraph ? _colormap : new OverWhiteColormap(_colormap, view.AlphaOverlay);
    }

    /// <summary>The view drawn.</summary>
    public TimeSeriesView View { get; }

    /// <summary>What a reader should know about this panel (empty or tiny attributions, clipped values).</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>Width of the lines in pixels. <value>The default value is 1.5 (matplotlib's).</value></summary>
    public float LineWidth { get; set; } = 1.5f;

    /// <inheritdoc />
    public bool IsVisible { get; set; } = true;

    /// <inheritdoc />
    public IAxes Axes { get; set; } = new Axes();

    /// <summary>One entry per labelled line of a combined overlay (other views label the y axis instead).</summary>
    public IEnumerable<LegendItem> LegendItems => View.Method != TimeSeriesMethod.OverlayCombined ? [] : _labels
        .Select((label, i) => (label, i))
        .Where(t => t.label is not null)
        .Select(t => new LegendItem { LabelText = t.label!, LineColor = _colors[t.i], LineWidth = LineWidth });

    /// <summary>The colormap as the plot shows it (seen through the strips' opacity for overlays).</summary>
    public IColormap Colormap { get; }

    /// <summary>The values at the ends of the colormap.</summary>
    public ScottPlot.Range GetRange() => _colorRange;

    /// <inheritdoc />
    public AxisLimits GetAxisLimits()
    {
        double min = _series.Min(s => s.Min()), max = _series.Max(s => s.Max());
        if (max == min)
        {
            min -= 1;
            max += 1;
        }
        double left = _x[0], right = _x[^1];
        if (right == left)
        {
            left -= 0.5;
            right += 0.5;
        }
        return new AxisLimits(left, right, min, max);
    }

    /// <inheritdoc />
    public void Render(RenderPack rp)
    {
        ArgumentNullException.ThrowIfNull(rp);
        var canvas = rp.Canvas;
        if (View.Method == TimeSeriesMethod.ColoredGraph)
        {
            DrawColoredLine(canvas);
            return;
        }
        DrawStrips(canvas, rp.DataRect);
        for (int s = 0; s < _series.Length; s++) DrawLine(canvas, _series[s], _colors[s]);
    }

    private float PixelX(double x) => Axes.GetPixel(new Coordinates(x, 0)).X;

    private Pixel PixelOf(double x, double y) => Axes.GetPixel(new Coordinates(x, y));

    private Color ColorAt(int i) => _colormap.GetColor((_norm[i] - _range.Min) / (_range.Max - _range.Min));

    private void DrawStrips(SKCanvas canvas, PixelRect dataRect)
    {
        using var paint = new SKPaint { Style = SKPaintStyle.Fill, IsAntialias = false };
        int n = _x.Length;
        for (int i = 0; i < n; i++)
        {
            double left = i > 0 ? (_x[i - 1] + _x[i]) / 2 : n > 1 ? _x[0] - (_x[1] - _x[0]) / 2 : _x[0] - 0.5;
            double right = i < n - 1 ? (_x[i] + _x[i + 1]) / 2 : n > 1 ? _x[i] + (_x[i] - _x[i - 1]) / 2 : _x[0] + 0.5;
            var c = ColorAt(i);
            paint.Color = new SKColor(c.R, c.G, c.B, (byte)Math.Round(c.A * View.AlphaOverlay));
            canvas.DrawRect(SKRect.Create(PixelX(left), dataRect.Top, PixelX(right) - PixelX(left), dataRect.Height), paint);
        }
    }

    private void DrawLine(SKCanvas canvas, double[] ys, Color color)
    {
        using var path = new SKPath();
        for (int i = 0; i < ys.Length; i++)
        {
            var p = PixelOf(_x[i], ys[i]);
            if (i == 0) path.MoveTo(p.X, p.Y);
            else path.LineTo(p.X, p.Y);
        }
        using var paint = new SKPaint
        {
            Style = SKPaintStyle.Stroke, StrokeWidth = LineWidth, IsAntialias = true, Color = color.ToSKColor(),
            StrokeJoin = SKStrokeJoin.Round,
        };
        canvas.DrawPath(path, paint);
    }

    private void DrawColoredLine(SKCanvas canvas)
    {
        var ys = _series[0];
        using var paint = new SKPaint { Style = SKPaintStyle.Stroke, StrokeWidth = LineWidth, IsAntialias = true, StrokeCap = SKStrokeCap.Round };
        for (int i = 0; i + 1 < ys.Length; i++)
        {
            // Segment i (point i to i + 1) takes the color of point i, as matplotlib's LineCollection does.
            paint.Color = ColorAt(i).ToSKColor();
            var a = PixelOf(_x[i], ys[i]);
            var b = PixelOf(_x[i + 1], ys[i + 1]);
            canvas.DrawLine(a.X, a.Y, b.X, b.Y, paint);
        }
    }
}
