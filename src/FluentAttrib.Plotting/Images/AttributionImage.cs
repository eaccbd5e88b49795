using ScottPlot;
using SkiaSharp;

namespace FluentAttrib.Plotting;

/// <summary>
/// A ScottPlot plottable that draws one image view of an attribution (create it with
/// <c>plot.Add.Attribution(...)</c>). It covers <see cref="Rect"/> in axis coordinates, row 0 at the top; pair it
/// with <c>plot.Axes.SquareUnits()</c> to keep square pixels, and with <c>plot.Add.ColorBar(it)</c> for a colorbar.
/// </summary>
public sealed class AttributionImage : IPlottable, IHasColorAxis, IDisposable
{
    private readonly SKBitmap _bitmap;
    private readonly ScottPlot.Range _range;

    internal AttributionImage(SKBitmap bitmap, ImageView view, IColormap colormap, ScottPlot.Range colorRange,
        NormalizedAttribution? normalized, IReadOnlyList<string> notes)
    {
        _bitmap = bitmap;
        View = view;
        Colormap = colormap;
        _range = colorRange;
        Normalized = normalized;
        Notes = notes;
        Rect = new CoordinateRect(0, bitmap.Width, 0, bitmap.Height);
    }

    /// <summary>The view drawn.</summary>
    public ImageView View { get; }

    /// <summary>The normalized attributions (null for <see cref="ImageMethod.OriginalImage"/>).</summary>
    public NormalizedAttribution? Normalized { get; }

    /// <summary>What a reader should know about this panel (empty map, tiny values, rescaled image, clipped values).</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>Width of the image in pixels.</summary>
    public int ImageWidth => _bitmap.Width;

    /// <summary>Height of the image in pixels.</summary>
    public int ImageHeight => _bitmap.Height;

    /// <summary>Where the image is drawn, in axis coordinates. <value>The default value is (0, width) × (0, height).</value></summary>
    public CoordinateRect Rect { get; set; }

    /// <inheritdoc />
    public bool IsVisible { get; set; } = true;

    /// <inheritdoc />
    public IAxes Axes { get; set; } = new Axes();

    /// <inheritdoc />
    public IEnumerable<LegendItem> LegendItems => [];

    /// <summary>The heat map's colormap (Captum's default for the sign unless the view chose one).</summary>
    public IColormap Colormap { get; }

    /// <summary>
    /// The values at the ends of the colormap: Captum's (−1, 1) or (0, 1) for per-panel scaling, attribution units
    /// otherwise.
    /// </summary>
    public ScottPlot.Range GetRange() => _range;

    /// <inheritdoc />
    public AxisLimits GetAxisLimits() => new(Rect);

    /// <summary>The panel's pixels (RGBA, unpremultiplied), e.g. to save or compare. The caller disposes the copy.</summary>
    public SKBitmap ToBitmap() => _bitmap.Copy();

    /// <inheritdoc />
    public void Render(RenderPack rp)
    {
        ArgumentNullException.ThrowIfNull(rp);
        var topLeft = Axes.GetPixel(new Coordinates(Rect.Left, Rect.Top));
        var bottomRight = Axes.GetPixel(new Coordinates(Rect.Right, Rect.Bottom));
        var target = new SKRect(topLeft.X, topLeft.Y, bottomRight.X, bottomRight.Y);
        bool enlarging = Math.Abs(target.Width) >= _bitmap.Width && Math.Abs(target.Height) >= _bitmap.Height;
        // Enlarged images keep crisp pixels (matplotlib's nearest for upsampling); reduced ones are smoothed.
        var sampling = enlarging
            ? new SKSamplingOptions(SKFilterMode.Nearest, SKMipmapMode.None)
            : new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear);
        using var image = SKImage.FromBitmap(_bitmap);
        using var paint = new SKPaint { IsAntialias = false };
        rp.Canvas.DrawImage(image, target, sampling, paint);
    }

    /// <summary>Releases the pixels.</summary>
    public void Dispose() => _bitmap.Dispose();
}
