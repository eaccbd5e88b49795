using ScottPlot;
using SkiaSharp;

namespace FluentAttrib.Plotting;

/// <summary>Small italic notes under a plot (below its colorbar), wrapped to a given width.</summary>
internal sealed class CaptionPanel : IPanel
{
    private const float FontSize = 11;
    private const float Padding = 4;
    private readonly string[] _lines;
    private readonly string _font;

    public CaptionPanel(IEnumerable<string> notes, float maxWidth, string font)
    {
        _font = font;
        using var skFont = new SKFont(FigureFont.Typeface(font, italic: true), FontSize);
        _lines = notes.SelectMany(n => TextWrap.Wrap(n, maxWidth, skFont)).ToArray();
    }

    public bool IsVisible { get; set; } = true;

    public float MinimumSize { get; set; }

    public float MaximumSize { get; set; } = float.MaxValue;

    public Edge Edge => Edge.Bottom;

    public bool ShowDebugInformation { get; set; }

    private static float LineHeight => FontSize * 1.3f;

    public float Measure(Paint paint) => _lines.Length == 0 ? 0 : _lines.Length * LineHeight + 2 * Padding;

    public PixelRect GetPanelRect(PixelRect dataRect, float size, float offset, Paint paint) =>
        new(dataRect.Left, dataRect.Right, dataRect.Bottom + offset + size, dataRect.Bottom + offset);

    public void Render(RenderPack rp, float size, float offset)
    {
        ArgumentNullException.ThrowIfNull(rp);
        var rect = GetPanelRect(rp.DataRect, size, offset, rp.Paint);
        using var font = new SKFont(FigureFont.Typeface(_font, italic: true), FontSize) { Subpixel = true };
        using var paint = new SKPaint { Color = new SKColor(80, 80, 80), IsAntialias = true };
        float y = rect.Top + Padding + FontSize;
        foreach (var line in _lines)
        {
            rp.Canvas.DrawText(line, rect.HorizontalCenter, y, SKTextAlign.Center, font, paint);
            y += LineHeight;
        }
    }
}

internal static class TextWrap
{
    /// <summary>Greedy word wrap to <paramref name="width"/> pixels.</summary>
    public static IEnumerable<string> Wrap(string text, float width, SKFont font)
    {
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var line = "";
        foreach (var word in words)
        {
            string candidate = line.Length == 0 ? word : line + " " + word;
            if (line.Length > 0 && font.MeasureText(candidate) > width)
            {
                yield return line;
                line = word;
            }
            else line = candidate;
        }
        if (line.Length > 0) yield return line;
    }
}
