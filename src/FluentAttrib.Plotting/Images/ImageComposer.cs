using ScottPlot;
using SkiaSharp;

namespace FluentAttrib.Plotting;

/// <summary>Turns normalized attributions and the image into the RGBA pixels Captum's matplotlib calls would show.</summary>
internal static class ImageComposer
{
    public static SKBitmap Compose(ImageMethod method, double[]? norm, int height, int width, ImagePixels? image,
        IColormap colormap, (double Min, double Max) range, double alphaOverlay)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var px = bitmap.GetPixelSpan();
        int n = height * width;
        double span = range.Max - range.Min;
        Color Heat(int i) => colormap.GetColor((norm![i] - range.Min) / span);

        switch (method)
        {
            case ImageMethod.HeatMap:
                for (int i = 0; i < n; i++) Put(px, i, Heat(i), 255);
                break;
            case ImageMethod.BlendedHeatMap:
            {
                // imshow(mean over channels, cmap="gray") stretches the gray image to its own min..max.
                var gray = new double[n];
                double gmin = double.PositiveInfinity, gmax = double.NegativeInfinity;
                for (int i = 0; i < n; i++)
                {
                    var (r, g, b) = image!.Rgb(i);
                    gray[i] = image.Channels == 1 ? r : (r + g + b) / 3;
                    gmin = Math.Min(gmin, gray[i]);
                    gmax = Math.Max(gmax, gray[i]);
                }
                for (int i = 0; i < n; i++)
                {
                    double level = gmax > gmin ? (gray[i] - gmin) / (gmax - gmin) : gray[i] / 255;
                    var under = CaptumColormaps.Gray.GetColor(level);
                    var heat = Heat(i);
                    double a = alphaOverlay * heat.A / 255.0;
                    px[i * 4] = Blend(heat.R, under.R, a);
                    px[i * 4 + 1] = Blend(heat.G, under.G, a);
                    px[i * 4 + 2] = Blend(heat.B, under.B, a);
                    px[i * 4 + 3] = 255;
                }
                break;
            }
            case ImageMethod.OriginalImage:
                for (int i = 0; i < n; i++)
                {
                    var (r, g, b) = image!.Rgb(i);
                    PutRgb(px, i, r, g, b, 255);
                }
                break;
            case ImageMethod.MaskedImage:
                // _prepare_image(original_image * norm_attr): truncate to integers, clip to [0, 255].
                for (int i = 0; i < n; i++)
                {
                    var (r, g, b) = image!.Rgb(i);
                    double m = norm![i];
                    PutRgb(px, i, Math.Truncate(r * m), Math.Truncate(g * m), Math.Truncate(b * m), 255);
                }
                break;
            case ImageMethod.AlphaScaling:
                for (int i = 0; i < n; i++)
                {
                    var (r, g, b) = image!.Rgb(i);
                    PutRgb(px, i, r, g, b, Math.Truncate(norm![i] * 255));
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(method), method, "Unknown image method.");
        }
        return bitmap;
    }

    private static void Put(Span<byte> px, int i, Color c, byte alpha)
    {
        px[i * 4] = c.R;
        px[i * 4 + 1] = c.G;
        px[i * 4 + 2] = c.B;
        px[i * 4 + 3] = (byte)(c.A * alpha / 255);
    }

    private static void PutRgb(Span<byte> px, int i, double r, double g, double b, double a)
    {
        px[i * 4] = Clip(r);
        px[i * 4 + 1] = Clip(g);
        px[i * 4 + 2] = Clip(b);
        px[i * 4 + 3] = Clip(a);
    }

    private static byte Clip(double v) => (byte)Math.Clamp(v, 0, 255);

    private static byte Blend(byte top, byte bottom, double alpha) => (byte)Math.Round(alpha * top + (1 - alpha) * bottom);
}
