using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Plotting.Tests;

/// <summary>The shapes, layouts and ranges image views accept, and the typed errors for those they do not.</summary>
public class InputTests
{
    private static byte[] Render(Tensor attribution, InputImage image, ImageView? view = null) =>
        attribution.Plot(view ?? ImageView.BlendedHeatMap.All).Over(image).WithSize(200, 160).ToPng();

    [Fact]
    public void Chw_hwc_and_batch_of_one_draw_the_same()
    {
        using var attr = TestData.AttributionChw();
        using var image = TestData.ImageChw();
        var reference = Render(attr, image);
        using var attrHwc = attr.permute(1, 2, 0).contiguous();
        using var imageHwc = image.permute(1, 2, 0).contiguous();
        Assert.Null(Snapshot.ComparePng(reference, Render(attrHwc, imageHwc)));
        Assert.Null(Snapshot.ComparePng(reference, Render(attr.unsqueeze(0), image.unsqueeze(0))));
        Assert.Null(Snapshot.ComparePng(reference, Render(attr, InputImage.FromTensor(imageHwc, ImageLayout.ChannelsLast))));
        Assert.Null(Snapshot.ComparePng(reference, attrHwc.Plot(ImageView.BlendedHeatMap.All).WithLayout(ImageLayout.ChannelsLast)
            .Over(image).WithSize(200, 160).ToPng()));
    }

    [Fact]
    public void Images_in_0_255_byte_tensors_bitmaps_and_scottplot_images_draw_like_0_1()
    {
        using var attr = TestData.AttributionChw();
        using var image = TestData.ImageChw();
        var reference = Render(attr, image, ImageView.MaskedImage.Positive);
        using var scaled = image * 255;
        Assert.Null(Snapshot.ComparePng(reference, Render(attr, scaled, ImageView.MaskedImage.Positive)));
        using var bytes = (image * 255).to_type(ScalarType.Byte);
        Assert.Null(Snapshot.ComparePng(reference, Render(attr, bytes, ImageView.MaskedImage.Positive)));
        using var bitmap = ToBitmap(image);
        Assert.Null(Snapshot.ComparePng(reference, Render(attr, bitmap, ImageView.MaskedImage.Positive)));
        using var scottImage = new ScottPlot.Image(bitmap);
        Assert.Null(Snapshot.ComparePng(reference, Render(attr, scottImage, ImageView.MaskedImage.Positive)));
    }

    [Fact]
    public void Single_channel_images_and_attributions_are_accepted()
    {
        using var attr = TestData.AttributionChw();
        using var image = TestData.ImageChw();
        using var gray = image.mean([0L], keepdim: true);
        using var attr2d = attr.sum(dim: 0);
        var png = attr2d.Plot(ImageView.OriginalImage, ImageView.BlendedHeatMap.Positive).Over(gray).WithSize(400, 180).ToPng();
        Snapshot.MatchPng(png, "input_single_channel");
        // (1, H, W) attribution and (H, W) image work too.
        Assert.NotEmpty(attr.sum([0L], keepdim: true).Plot(ImageView.HeatMap).Over(gray.squeeze(0)).WithSize(100, 100).ToPng());
    }

    [Fact]
    public void Mismatched_shapes_say_both_sizes()
    {
        using var attr = TestData.AttributionChw();
        using var small = zeros(3, 12, 16);
        var e = Assert.Throws<AttributionShapeException>(() => Render(attr, small));
        Assert.Contains("24×32", e.Message);
        Assert.Contains("12×16", e.Message);
    }

    [Fact]
    public void Batches_need_a_chosen_example()
    {
        using var batch = stack([TestData.AttributionChw(), -TestData.AttributionChw()]);
        var e = Assert.Throws<AttributionShapeException>(() => batch.Plot(ImageView.HeatMap.All).ToPng());
        Assert.Contains("ForExample", e.Message);
        var first = batch.Plot(ImageView.HeatMap.All).ForExample(0).WithSize(120, 100).ToPng();
        var second = batch.Plot(ImageView.HeatMap.All).ForExample(1).WithSize(120, 100).ToPng();
        Assert.NotNull(Snapshot.ComparePng(first, second));
        Assert.Throws<AttributionShapeException>(() => batch.Plot(ImageView.HeatMap).ForExample(2).ToPng());
        // One image under a batch of attributions serves every example.
        using var image = TestData.ImageChw();
        Assert.NotEmpty(batch.Plot(ImageView.BlendedHeatMap.All).ForExample(1).Over(image).WithSize(120, 100).ToPng());
    }

    [Fact]
    public void Empty_tensors_bad_ranks_and_non_finite_values_are_typed_errors()
    {
        using var empty = zeros(3, 0, 4);
        Assert.Contains("empty", Assert.Throws<AttributionShapeException>(() => empty.Plot().ToPng()).Message);
        using var vector = ones(5);
        Assert.Throws<AttributionShapeException>(() => vector.Plot().ToPng());
        using var attr = TestData.AttributionChw();
        using var nan = attr.clone();
        nan[1, 2, 3] = tensor(float.NaN);
        nan[0, 0, 0] = tensor(float.PositiveInfinity);
        var e = Assert.Throws<NonFiniteValuesException>(() => nan.Plot().ToPng());
        Assert.Contains("1 NaN", e.Message);
        Assert.Contains("1 infinite", e.Message);
        Assert.Contains("[0, 0, 0]", e.Message);
        using var image = TestData.ImageChw();
        using var badImage = image.clone();
        badImage[0, 0, 0] = tensor(float.NaN);
        Assert.Throws<NonFiniteValuesException>(() => Render(attr, badImage));
        using var fiveChannels = zeros(5, 24, 32);
        Assert.Contains("channels", Assert.Throws<AttributionShapeException>(() => Render(attr, fiveChannels)).Message);
    }

    internal static SKBitmap ToBitmap(Tensor chw01)
    {
        using var hwc = (chw01 * 255).permute(1, 2, 0).to_type(ScalarType.Byte).contiguous();
        var bytes = hwc.data<byte>().ToArray();
        int h = (int)hwc.shape[0], w = (int)hwc.shape[1];
        var bitmap = new SKBitmap(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = (y * w + x) * 3;
                bitmap.SetPixel(x, y, new SKColor(bytes[i], bytes[i + 1], bytes[i + 2]));
            }
        return bitmap;
    }
}
