using SkiaSharp;
using static TorchSharp.torch;

namespace Quickstart;

/// <summary>
/// A photo prepared for the pretrained ResNet: the picture the network sees (224 px high, 224–448 px wide) and its
/// planar RGB tensor in 0–255, which <see cref="FluentAttrib.Models.ResNetPreprocess"/> turns into the network input.
/// </summary>
internal sealed class Photo : IDisposable
{
    /// <summary>Height of every picture the network sees, and the side of the square training crops.</summary>
    public const int Size = 224;

    /// <summary>Widest picture kept whole: two 224×224 photos side by side.</summary>
    public const int MaxWidth = 2 * Size;

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
    /// Decodes <paramref name="path"/> (JPEG, PNG or WebP), scales it to 224 px high and crops its width to at most
    /// 448 px around the centre (so a portrait photo becomes a centred 224×224 square, and two photos side by side
    /// stay whole).
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not an image SkiaSharp can decode.</exception>
    public static Photo Load(string path)
    {
        using var decoded = Decode(path);
        float scale = Math.Max((float)Size / decoded.Height, (float)Size / decoded.Width);
        int width = Math.Clamp((int)Math.Round(decoded.Width * scale), Size, MaxWidth);
        // The part of the source that lands in a Size-high, width-wide picture.
        float sourceWidth = width / scale, sourceHeight = Size / scale;
        var source = SKRect.Create((decoded.Width - sourceWidth) / 2, (decoded.Height - sourceHeight) / 2, sourceWidth, sourceHeight);
        return FromRegion(decoded, source, width, Size, flip: false);
    }

    /// <summary>Decodes an image file.</summary>
    public static SKBitmap Decode(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"There is no file {path}.", path);
        return SKBitmap.Decode(path) ?? throw new InvalidDataException($"{path} is not an image that SkiaSharp can decode.");
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
