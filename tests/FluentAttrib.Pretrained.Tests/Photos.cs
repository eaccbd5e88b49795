using SkiaSharp;

namespace FluentAttrib.Pretrained.Tests;

/// <summary>The real photos copied next to the tests, decoded to the planar RGB 0–255 input the ONNX graphs take.</summary>
internal static class Photos
{
    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "photos", name);

    /// <summary>Decodes <paramref name="name"/> and stretches it to 224×224: 1×3×224×224 values in 0–255, row-major.</summary>
    public static float[] Rgb224(string name)
    {
        const int size = 224;
        using var decoded = SKBitmap.Decode(PathOf(name)) ?? throw new InvalidDataException($"cannot decode {name}");
        using var resized = decoded.Resize(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Unpremul),
            new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None));
        ReadOnlySpan<byte> rgba = resized.GetPixelSpan();
        var planes = new float[3 * size * size];
        for (int p = 0; p < size * size; p++)
            for (int c = 0; c < 3; c++)
                planes[c * size * size + p] = rgba[4 * p + c];
        return planes;
    }
}
