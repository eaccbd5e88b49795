using System.Globalization;
using SkiaSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Plotting;

/// <summary>
/// The image an attribution is drawn over: a tensor ((C, H, W), (H, W, C), (H, W) or a batch of one; values in
/// [0, 1] or [0, 255]), a SkiaSharp bitmap or a ScottPlot image. Tensors, bitmaps and ScottPlot images convert
/// implicitly. Values outside [0, 255] (e.g. a normalized network input) are rescaled for display, not clipped, and
/// the figure says so (Captum #1098 clips them).
/// </summary>
public sealed class InputImage
{
    private readonly Tensor? _tensor;
    private readonly ImageLayout _layout;
    private readonly ImagePixels? _pixels;

    private InputImage(Tensor tensor, ImageLayout layout)
    {
        _tensor = tensor;
        _layout = layout;
    }

    private InputImage(ImagePixels pixels) => _pixels = pixels;

    /// <summary>An image tensor; <paramref name="layout"/> says where its channels are when it has three dimensions.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Unknown layout.</exception>
    public static InputImage FromTensor(Tensor image, ImageLayout layout = ImageLayout.Auto)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (!Enum.IsDefined(layout)) throw new ArgumentOutOfRangeException(nameof(layout), layout, "Unknown image layout.");
        return new InputImage(image, layout);
    }

    /// <summary>A SkiaSharp bitmap (its RGB channels; alpha is ignored). The pixels are copied now.</summary>
    /// <exception cref="AttributionShapeException">The bitmap is empty.</exception>
    public static InputImage FromBitmap(SKBitmap bitmap)
    {
        ArgumentNullException.ThrowIfNull(bitmap);
        if (bitmap.Width == 0 || bitmap.Height == 0) throw new AttributionShapeException("The image bitmap is empty (0 pixels).");
        using var rgba = new SKBitmap(new SKImageInfo(bitmap.Width, bitmap.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        if (!bitmap.CopyTo(rgba, SKColorType.Rgba8888))
        {
            using var canvas = new SKCanvas(rgba);
            canvas.Clear(SKColors.White);
            canvas.DrawBitmap(bitmap, 0, 0);
        }
        var bytes = rgba.GetPixelSpan();
        int h = bitmap.Height, w = bitmap.Width;
        var values = new double[h * w * 3];
        for (int i = 0; i < h * w; i++)
            for (int c = 0; c < 3; c++) values[i * 3 + c] = bytes[i * 4 + c];
        return new InputImage(new ImagePixels(values, h, w, 3, null));
    }

    /// <summary>A ScottPlot image (its RGB channels). The pixels are copied now.</summary>
    public static InputImage FromImage(ScottPlot.Image image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var png = image.GetImageBytes(ScottPlot.ImageFormat.Png);
        using var bitmap = SKBitmap.Decode(png) ?? throw new ArgumentException("The ScottPlot image could not be read.", nameof(image));
        return FromBitmap(bitmap);
    }

    /// <summary>Converts an image tensor (layout decided from its shape).</summary>
    public static implicit operator InputImage(Tensor image) => FromTensor(image);

    /// <summary>Converts a SkiaSharp bitmap.</summary>
    public static implicit operator InputImage(SKBitmap bitmap) => FromBitmap(bitmap);

    /// <summary>Converts a ScottPlot image.</summary>
    public static implicit operator InputImage(ScottPlot.Image image) => FromImage(image);

    /// <summary>Reads the pixels for display (0–255 per channel), choosing the layout with <paramref name="match"/> when ambiguous.</summary>
    internal ImagePixels Resolve(int? example, (int Height, int Width)? match)
    {
        if (_pixels is not null) return _pixels;
        var data = TensorData.Read(_tensor!, "the image").SelectExample(example, 4, "the image", strict: false);
        var hwc = ImageTensors.ToHwc(data, _layout, match, "the image");
        if (hwc.Channels is not (1 or 3 or 4))
            throw new AttributionShapeException(
                $"The image has {hwc.Channels} channels (shape {data.ShapeText}); an image needs 1 (gray), 3 (RGB) or 4 (RGBA). " +
                "If its channels are on the other side, say so with InputImage.FromTensor(image, ImageLayout...).");
        return ToDisplay(hwc, data.DType);
    }

    private static ImagePixels ToDisplay(Hwc hwc, ScalarType dtype)
    {
        int channels = hwc.Channels == 4 ? 3 : hwc.Channels;
        var values = new double[hwc.Height * hwc.Width * channels];
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        for (int i = 0; i < hwc.Height * hwc.Width; i++)
            for (int c = 0; c < channels; c++)
            {
                double v = hwc.Values[i * hwc.Channels + c];
                values[i * channels + c] = v;
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
        string? note = null;
        bool integral = dtype is ScalarType.Byte or ScalarType.Int8 or ScalarType.Int16 or ScalarType.Int32 or ScalarType.Int64;
        if (min >= 0 && max <= 1 && !integral)
        {
            // Captum: `_prepare_image(original_image * 255)`, i.e. truncate to an integer and clip.
            for (int i = 0; i < values.Length; i++) values[i] = Math.Clamp(Math.Truncate(values[i] * 255), 0, 255);
        }
        else if (min >= 0 && max <= 255)
        {
            for (int i = 0; i < values.Length; i++) values[i] = Math.Truncate(values[i]);
        }
        else
        {
            double range = max - min;
            for (int i = 0; i < values.Length; i++) values[i] = range > 0 ? Math.Truncate((values[i] - min) / range * 255) : 128;
            note = string.Create(CultureInfo.InvariantCulture,
                $"Image values span [{min:0.###}, {max:0.###}]: rescaled to [0, 255] for display, not clipped.");
        }
        return new ImagePixels(values, hwc.Height, hwc.Width, channels, note);
    }
}

/// <summary>Display pixels, row-major (H, W, C), each in [0, 255], C = 1 or 3.</summary>
internal sealed record ImagePixels(double[] Values, int Height, int Width, int Channels, string? Note)
{
    /// <summary>The RGB of pixel i (gray repeated for one channel).</summary>
    public (double R, double G, double B) Rgb(int i) => Channels == 1
        ? (Values[i], Values[i], Values[i])
        : (Values[i * 3], Values[i * 3 + 1], Values[i * 3 + 2]);
}

/// <summary>A row-major (H, W, C) array.</summary>
internal sealed record Hwc(double[] Values, int Height, int Width, int Channels);

internal static class ImageTensors
{
    /// <summary>
    /// Reads a 2- or 3-dimensional tensor (batch already removed) as (H, W, C). For <see cref="ImageLayout.Auto"/>,
    /// prefers the reading whose (H, W) equals <paramref name="match"/>.
    /// </summary>
    public static Hwc ToHwc(TensorData data, ImageLayout layout, (int Height, int Width)? match, string what)
    {
        if (data.Rank == 2) return new Hwc(data.Values, checked((int)data.Shape[0]), checked((int)data.Shape[1]), 1);
        if (data.Rank != 3)
            throw new AttributionShapeException(
                $"{TensorData.Capital(what)} has shape {data.ShapeText}; expected (H, W), (C, H, W), (H, W, C) or a batch of one (1, C, H, W).");
        long a = data.Shape[0], b = data.Shape[1], c = data.Shape[2];
        bool first = layout switch
        {
            ImageLayout.ChannelsFirst => true,
            ImageLayout.ChannelsLast => false,
            _ => ChooseChannelsFirst(a, b, c, match),
        };
        if (first)
        {
            int ch = checked((int)a), h = checked((int)b), w = checked((int)c);
            var values = new double[data.Values.Length];
            for (int k = 0; k < ch; k++)
                for (int i = 0; i < h * w; i++)
                    values[i * ch + k] = data.Values[k * h * w + i];
            return new Hwc(values, h, w, ch);
        }
        return new Hwc(data.Values, checked((int)a), checked((int)b), checked((int)c));
    }

    private static bool ChooseChannelsFirst(long a, long b, long c, (int Height, int Width)? match)
    {
        static bool LooksLikeChannels(long n) => n is 1 or 3 or 4;
        if (match is { } m)
        {
            bool firstMatches = b == m.Height && c == m.Width;
            bool lastMatches = a == m.Height && b == m.Width;
            if (firstMatches != lastMatches) return firstMatches;
        }
        if (LooksLikeChannels(a)) return true;
        if (LooksLikeChannels(c)) return false;
        return true;
    }
}
