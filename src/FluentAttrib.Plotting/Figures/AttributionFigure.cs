using SkiaSharp;

namespace FluentAttrib.Plotting;

/// <summary>
/// A figure ready to render: an image, time-series or text view of attributions. Render it with
/// <see cref="SavePng"/>, <see cref="SaveSvg"/>, <see cref="ToPng"/> or <see cref="ToSvg"/>; nothing is computed
/// until then, and each call renders afresh from the tensors it was given.
/// </summary>
public abstract record AttributionFigure
{
    private protected AttributionFigure() { }

    /// <summary>Figure width in pixels, or null for the figure's default.</summary>
    public int? Width { get; private protected init; }

    /// <summary>Figure height in pixels, or null for the figure's default.</summary>
    public int? Height { get; private protected init; }

    /// <summary>The figure's title, or null.</summary>
    public string? Title { get; private protected init; }

    /// <summary>The font family, or null for DejaVu Sans where installed (else ScottPlot's default).</summary>
    public string? FontName { get; private protected init; }

    /// <summary>Renders the figure as PNG bytes.</summary>
    public byte[] ToPng()
    {
        using var figure = Prepare();
        return FigureRenderer.Png(figure);
    }

    /// <summary>Renders the figure as an SVG document.</summary>
    public string ToSvg()
    {
        using var figure = Prepare();
        return FigureRenderer.Svg(figure);
    }

    /// <summary>Renders the figure and writes it as a PNG file (atomically: a temporary file is moved into place).</summary>
    /// <exception cref="PlotWriteException">The file cannot be written; nothing is left behind.</exception>
    public void SavePng(string path)
    {
        FileOutput.CheckTarget(path);
        FileOutput.Write(path, ToPng());
    }

    /// <summary>Renders the figure and writes it as an SVG file (atomically).</summary>
    /// <exception cref="PlotWriteException">The file cannot be written; nothing is left behind.</exception>
    public void SaveSvg(string path)
    {
        FileOutput.CheckTarget(path);
        FileOutput.Write(path, System.Text.Encoding.UTF8.GetBytes(ToSvg()));
    }

    /// <summary>
    /// What the figure will tell its reader besides the picture: an empty map, tiny values stretched to full color,
    /// an image rescaled for display, clipped values. The same notes are printed under the panels.
    /// </summary>
    public IReadOnlyList<string> GetNotes()
    {
        using var figure = Prepare();
        return figure.Notes;
    }

    internal abstract PreparedFigure Prepare();

    internal string ResolvedFont => FigureFont.Resolve(FontName);
}

/// <summary>The fluent options every figure shares, returning the figure's own type.</summary>
/// <typeparam name="TFigure">The figure type.</typeparam>
public abstract record AttributionFigure<TFigure> : AttributionFigure where TFigure : AttributionFigure<TFigure>
{
    private protected AttributionFigure() { }

    /// <summary>Renders at <paramref name="width"/> × <paramref name="height"/> pixels.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size below 16 or above 16384 pixels.</exception>
    public TFigure WithSize(int width, int height)
    {
        FigureFont.CheckSize(width, nameof(width));
        FigureFont.CheckSize(height, nameof(height));
        return (TFigure)(this with { Width = width, Height = height });
    }

    /// <summary>Titles the figure.</summary>
    public TFigure WithTitle(string title)
    {
        ArgumentNullException.ThrowIfNull(title);
        return (TFigure)(this with { Title = title });
    }

    /// <summary>Draws all text in <paramref name="fontName"/> (a font family ScottPlot can find).</summary>
    public TFigure WithFont(string fontName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fontName);
        return (TFigure)(this with { FontName = fontName });
    }
}

/// <summary>A figure with everything computed, ready to draw onto a canvas of <see cref="Width"/> × <see cref="Height"/>.</summary>
internal abstract class PreparedFigure : IDisposable
{
    public required int Width { get; init; }

    public required int Height { get; init; }

    public required IReadOnlyList<string> Notes { get; init; }

    public abstract void Draw(SKCanvas canvas);

    public virtual void Dispose() { }
}

internal static partial class FigureRenderer
{
    public static byte[] Png(PreparedFigure figure)
    {
        var info = new SKImageInfo(figure.Width, figure.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var surface = SKSurface.Create(info)
            ?? throw new InvalidOperationException($"SkiaSharp could not create a {figure.Width}×{figure.Height} surface.");
        surface.Canvas.Clear(SKColors.White);
        figure.Draw(surface.Canvas);
        surface.Canvas.Flush();
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    public static string Svg(PreparedFigure figure)
    {
        using var stream = new MemoryStream();
        using (var canvas = SKSvgCanvas.Create(SKRect.Create(figure.Width, figure.Height), stream))
        {
            using (var white = new SKPaint { Color = SKColors.White, Style = SKPaintStyle.Fill })
                canvas.DrawRect(0, 0, figure.Width, figure.Height, white);
            figure.Draw(canvas);
        }
        return StableIds(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    /// <summary>
    /// Skia names clip paths after process-wide counters, so the same figure would get different ids from run to
    /// run. Renumbers every id in order of appearance (per prefix), making SVG output reproducible.
    /// </summary>
    internal static string StableIds(string svg)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (System.Text.RegularExpressions.Match m in IdPattern().Matches(svg))
        {
            string id = m.Groups[1].Value;
            if (map.ContainsKey(id)) continue;
            string prefix = m.Groups[2].Value;
            int n = counts.GetValueOrDefault(prefix);
            counts[prefix] = n + 1;
            map[id] = prefix + "_" + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        if (map.Count == 0) return svg;
        return ReferencePattern().Replace(svg, m => map.TryGetValue(m.Groups[2].Value, out var id)
            ? m.Groups[1].Value + id + m.Groups[3].Value
            : m.Value);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"id=""(([A-Za-z]+)_[0-9A-Za-z]+)""")]
    private static partial System.Text.RegularExpressions.Regex IdPattern();

    [System.Text.RegularExpressions.GeneratedRegex(@"(id=""|#)([A-Za-z]+_[0-9A-Za-z]+)(""|\))")]
    private static partial System.Text.RegularExpressions.Regex ReferencePattern();
}

internal static class FigureFont
{
    public const string Preferred = "DejaVu Sans";

    private static readonly Lazy<bool> PreferredInstalled = new(() =>
    {
        // Not disposed: SkiaSharp hands out one managed object per native typeface, so this may be the very instance
        // ScottPlot's font cache holds, and disposing it would break every later figure's text in the process.
        var typeface = SKFontManager.Default.MatchFamily(Preferred);
        return typeface is not null && typeface.FamilyName == Preferred;
    });

    public static string Resolve(string? requested) =>
        requested ?? (PreferredInstalled.Value ? Preferred : ScottPlot.Fonts.Default);

    /// <remarks>The typeface is ScottPlot's cached instance, shared by the whole process: callers must not dispose it.</remarks>
    public static SKTypeface Typeface(string name, bool bold = false, bool italic = false) =>
        ScottPlot.Fonts.GetTypeface(name, bold, italic);

    public static void CheckSize(int pixels, string name)
    {
        if (pixels < 16 || pixels > 16384)
            throw new ArgumentOutOfRangeException(name, pixels, "Figure sizes must be between 16 and 16384 pixels.");
    }
}
