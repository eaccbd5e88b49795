using SkiaSharp;
using static TorchSharp.torch;

namespace Quickstart;

/// <summary>A photo prepared for an ImageNet network: the 224×224 crop the network sees and its normalised tensor.</summary>
internal sealed class Photo : IDisposable
{
    /// <summary>Side of the square the network takes.</summary>
    public const int Size = 224;

    private static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] Std = [0.229f, 0.224f, 0.225f];

    private Photo(SKBitmap crop, Tensor input)
    {
        Crop = crop;
        Input = input;
    }

    /// <summary>The 224×224 RGBA crop, for showing beside the heat maps.</summary>
    public SKBitmap Crop { get; }

    /// <summary>The network input, 1×3×224×224 float32, normalised with ImageNet's mean and standard deviation.</summary>
    public Tensor Input { get; }

    /// <summary>
    /// Decodes <paramref name="path"/> (JPEG, PNG or WebP) and applies torchvision's usual evaluation transform:
    /// shorter side to 256, centre crop 224, scale to [0, 1], normalise per channel.
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not an image SkiaSharp can decode.</exception>
    public static Photo Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException("There is no such file.", path);
        using var decoded = SKBitmap.Decode(path) ?? throw new InvalidDataException($"{path} is not an image that SkiaSharp can decode.");
        using var image = SKImage.FromBitmap(decoded);

        // The centre square that becomes 224 px after "shorter side to 256".
        float side = Math.Min(decoded.Width, decoded.Height) * Size / 256f;
        var source = SKRect.Create((decoded.Width - side) / 2, (decoded.Height - side) / 2, side, side);
        var crop = new SKBitmap(new SKImageInfo(Size, Size, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using (var canvas = new SKCanvas(crop))
        {
            canvas.DrawImage(image, source, SKRect.Create(Size, Size), new SKSamplingOptions(SKCubicResampler.Mitchell));
        }

        ReadOnlySpan<byte> rgba = crop.GetPixelSpan();
        var planes = new float[3 * Size * Size];
        for (int p = 0; p < Size * Size; p++)
            for (int c = 0; c < 3; c++)
                planes[c * Size * Size + p] = (rgba[4 * p + c] / 255f - Mean[c]) / Std[c];
        return new Photo(crop, tensor(planes, [1, 3, Size, Size]));
    }

    public void Dispose()
    {
        Crop.Dispose();
        Input.Dispose();
    }
}
