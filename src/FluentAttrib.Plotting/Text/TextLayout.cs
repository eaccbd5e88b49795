using ScottPlot;
using SkiaSharp;

namespace FluentAttrib.Plotting;

/// <summary>Lays token records out in pixels: legend, then per record a label line and wrapped token boxes, then notes.</summary>
internal sealed class TextLayout : IDisposable
{
    private const float Margin = 16;
    private const float FontSize = 14;
    private const float BoxPadding = 4;
    private const float BoxGap = 3;
    private const float BoxHeight = FontSize * 1.5f;
    private const float LineAdvance = BoxHeight + 6;

    private readonly SKFont _regular;
    private readonly SKFont _bold;
    private readonly SKFont _italic;
    private readonly SKFont _title;
    private readonly List<Op> _ops = [];

    private abstract record Op;

    private sealed record TextOp(float X, float Y, string Text, SKFont Font, SKColor Color) : Op;

    private sealed record BoxOp(SKRect Rect, SKColor Fill, bool Border) : Op;

    private TextLayout(string font)
    {
        _regular = new SKFont(FigureFont.Typeface(font), FontSize) { Subpixel = true };
        _bold = new SKFont(FigureFont.Typeface(font, bold: true), FontSize) { Subpixel = true };
        _italic = new SKFont(FigureFont.Typeface(font, italic: true), 12) { Subpixel = true };
        _title = new SKFont(FigureFont.Typeface(font, bold: true), 17) { Subpixel = true };
    }

    public float Height { get; private set; }

    public static TextLayout Build(IReadOnlyList<TextRecord> records, bool legend, string? title, IEnumerable<string> notes, float width, string font)
    {
        var layout = new TextLayout(font);
        layout.Arrange(records, legend, title, notes, width);
        return layout;
    }

    private float Baseline(float top, SKFont font, float height)
    {
        var m = font.Metrics;
        return top + (height - (m.Descent - m.Ascent)) / 2 - m.Ascent;
    }

    private void Arrange(IReadOnlyList<TextRecord> records, bool legend, string? title, IEnumerable<string> notes, float width)
    {
        float left = Margin, right = Math.Max(width - Margin, Margin + 40);
        float y = Margin;
        if (title is not null)
        {
            _ops.Add(new TextOp(left, Baseline(y, _title, 24), title, _title, SKColors.Black));
            y += 32;
        }
        if (legend)
        {
            float x = left;
            _ops.Add(new TextOp(x, Baseline(y, _bold, BoxHeight), "Legend:", _bold, SKColors.Black));
            x += _bold.MeasureText("Legend:") + 10;
            foreach (var (value, label) in new[] { (-1.0, "Negative"), (0.0, "Neutral"), (1.0, "Positive") })
            {
                float square = 11;
                float top = y + (BoxHeight - square) / 2;
                _ops.Add(new BoxOp(SKRect.Create(x, top, square, square), TokenHtml.Rgb(value).ToSKColor(), true));
                x += square + 5;
                _ops.Add(new TextOp(x, Baseline(y, _regular, BoxHeight), label, _regular, SKColors.Black));
                x += _regular.MeasureText(label) + 14;
            }
            y += LineAdvance + 6;
        }
        foreach (var record in records)
        {
            var fields = new List<(string Key, string Value)>();
            if (record.TrueLabel is not null) fields.Add(("True label: ", record.TrueLabel));
            if (record.PredictedLabel is not null) fields.Add(("Predicted: ", record.PredictedText));
            if (record.AttributionLabel is not null) fields.Add(("Attribution label: ", record.AttributionLabel));
            if (record.AttributionScore is not null) fields.Add(("Attribution score: ", record.ScoreText));
            if (fields.Count > 0)
            {
                float x = left;
                foreach (var (key, value) in fields)
                {
                    float w = _regular.MeasureText(key) + _bold.MeasureText(value);
                    if (x > left && x + w > right)
                    {
                        x = left;
                        y += LineAdvance;
                    }
                    _ops.Add(new TextOp(x, Baseline(y, _regular, BoxHeight), key, _regular, SKColors.Black));
                    _ops.Add(new TextOp(x + _regular.MeasureText(key), Baseline(y, _bold, BoxHeight), value, _bold, SKColors.Black));
                    x += w + 24;
                }
                y += LineAdvance;
            }
            float tx = left;
            for (int i = 0; i < record.Tokens.Count; i++)
            {
                string text = TokenHtml.Display(record.Tokens[i]);
                float w = _regular.MeasureText(text) + 2 * BoxPadding;
                if (tx > left && tx + w > right)
                {
                    tx = left;
                    y += LineAdvance;
                }
                _ops.Add(new BoxOp(SKRect.Create(tx, y, w, BoxHeight), TokenHtml.Rgb(record.Attributions[i]).ToSKColor(), false));
                _ops.Add(new TextOp(tx + BoxPadding, Baseline(y, _regular, BoxHeight), text, _regular, SKColors.Black));
                tx += w + BoxGap;
            }
            y += LineAdvance + 10;
        }
        foreach (var note in notes)
            foreach (var line in TextWrap.Wrap(note, right - left, _italic))
            {
                _ops.Add(new TextOp(left, Baseline(y, _italic, 16), line, _italic, new SKColor(80, 80, 80)));
                y += 18;
            }
        Height = y + Margin - 10;
    }

    public void Draw(SKCanvas canvas, float originX, float originY)
    {
        using var fill = new SKPaint { Style = SKPaintStyle.Fill, IsAntialias = false };
        using var stroke = new SKPaint { Style = SKPaintStyle.Stroke, StrokeWidth = 1, Color = SKColors.Black, IsAntialias = false };
        using var ink = new SKPaint { IsAntialias = true };
        foreach (var op in _ops)
        {
            switch (op)
            {
                case BoxOp b:
                    var r = b.Rect;
                    r.Offset(originX, originY);
                    fill.Color = b.Fill;
                    canvas.DrawRect(r, fill);
                    if (b.Border) canvas.DrawRect(r, stroke);
                    break;
                case TextOp t:
                    ink.Color = t.Color;
                    canvas.DrawText(t.Text, originX + t.X, originY + t.Y, SKTextAlign.Left, t.Font, ink);
                    break;
            }
        }
    }

    public void Dispose()
    {
        _regular.Dispose();
        _bold.Dispose();
        _italic.Dispose();
        _title.Dispose();
    }
}

/// <summary>
/// A ScottPlot plottable drawing token attributions as colored boxes, laid out in pixels from the top-left of the
/// data area (axis coordinates are ignored; hide the axes around it). Create it with <c>plot.Add.TokenAttributions(...)</c>.
/// </summary>
public sealed class TokenAttributions : IPlottable
{
    private readonly TextFigure _figure;
    private readonly string _font;

    internal TokenAttributions(TextFigure figure, string font)
    {
        _figure = figure;
        _font = font;
    }

    /// <summary>The records drawn.</summary>
    public IReadOnlyList<TextRecord> Records => _figure.Records;

    /// <inheritdoc />
    public bool IsVisible { get; set; } = true;

    /// <inheritdoc />
    public IAxes Axes { get; set; } = new Axes();

    /// <inheritdoc />
    public IEnumerable<LegendItem> LegendItems => [];

    /// <summary>No axis limits: the layout is in pixels.</summary>
    public AxisLimits GetAxisLimits() => AxisLimits.NoLimits;

    /// <summary>The height in pixels the records need at <paramref name="width"/> pixels wide.</summary>
    public float MeasureHeight(float width)
    {
        using var layout = _figure.Layout(width, _font);
        return layout.Height;
    }

    /// <inheritdoc />
    public void Render(RenderPack rp)
    {
        ArgumentNullException.ThrowIfNull(rp);
        using var layout = _figure.Layout(rp.DataRect.Width, _font);
        layout.Draw(rp.Canvas, rp.DataRect.Left, rp.DataRect.Top);
    }
}
