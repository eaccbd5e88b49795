using SkiaSharp;
using static TorchSharp.torch;

namespace Quickstart;

/// <summary>
/// A photo prepared for the pretrained ResNet: the picture the network sees (224 px high, 224–448 px wide) and its
/// planar RGB tensor in 0–255, which <see cref="FluentAttrib.Pretrained.ResNetPreprocess"/> turns into the network input.
/// </summary>
internal sealed class Photo : IDisposable
{
    /// <summary>Height of every picture the network sees, and the side of the square training crops.</summary>
    public const int Size = 224;

    private Photo(SKBitmap picture, Tensor rgb)
    {
        Picture = picture;
        Rgb = rgb;
    }

    /// <summary>The picture the network sees (RGBA), for showing beside the heat maps.</summary>
    public SKBitmap Picture { get; }

    /// <summary>1×3×H×W float32, planar RGB in 0–255.</summary>
    public Tensor Rgb { get; }

    /// <summary>
    /// Decodes <paramref name="path"/> (JPEG, PNG or WebP), scales it to <paramref name="height"/> px high (224 by
    /// default) and crops its width to at most twice that around the centre (so a portrait photo becomes a centred
    /// square, and two photos side by side stay whole).
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not an image SkiaSharp can decode.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="height"/> is below 32 (one layer4 cell).</exception>
    public static Photo Load(string path, int height = Size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 32);
        using var decoded = Decode(path);
        float scale = Math.Max((float)height / decoded.Height, (float)height / decoded.Width);
        int width = Math.Clamp((int)Math.Round(decoded.Width * scale), height, 2 * height);
        // The part of the source that lands in a height-high, width-wide picture.
        float sourceWidth = width / scale, sourceHeight = height / scale;
        var source = SKRect.Create((decoded.Width - sourceWidth) / 2, (decoded.Height - sourceHeight) / 2, sourceWidth, sourceHeight);
        return FromRegion(decoded, source, width, height, flip: false);
    }

    /// <summary>Decodes an image file.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read.</exception>
    /// <exception cref="InvalidDataException">The file is empty or not an image SkiaSharp can decode.</exception>
    public static SKBitmap Decode(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"There is no file {path}.", path);
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length == 0) throw new InvalidDataException($"{path} is empty.");
        // SKBitmap.Decode(byte[]) throws ArgumentNullException when no codec recognises the bytes: ask for one first.
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data);
        return (codec is null ? null : SKBitmap.Decode(codec))
            ?? throw new InvalidDataException($"{path} is not an image that SkiaSharp can decode (JPEG, PNG, WebP, ...).");
    }

    /// <summary>Draws <paramref name="source"/> of <paramref name="image"/> into a <paramref name="width"/>×<paramref name="height"/> picture.</summary>
    public static Photo FromRegion(SKBitmap image, SKRect source, int width, int height, bool flip)
    {
        using var skImage = SKImage.FromBitmap(image);
        var picture = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using (var canvas = new SKCanvas(picture))
        {
            canvas.Clear(SKColors.White);
            if (flip)
            {
                canvas.Translate(width, 0);
                canvas.Scale(-1, 1);
            }
            canvas.DrawImage(skImage, source, SKRect.Create(width, height), new SKSamplingOptions(SKCubicResampler.Mitchell));
        }
        return new Photo(picture, ToRgbTensor(picture));
    }

    private static Tensor ToRgbTensor(SKBitmap picture)
    {
        int w = picture.Width, h = picture.Height;
        ReadOnlySpan<byte> rgba = picture.GetPixelSpan();
        var planes = new float[3 * w * h];
        for (int p = 0; p < w * h; p++)
            for (int c = 0; c < 3; c++)
                planes[c * w * h + p] = rgba[4 * p + c];
        return tensor(planes, [1, 3, h, w]);
    }

    public void Dispose()
    {
        Picture.Dispose();
        Rgb.Dispose();
    }
}
