using static TorchSharp.torch;

namespace FluentAttrib.Plotting.Tests;

public class ImageViewTests
{
    public static TheoryData<ImageMethod, AttributionSign> AllowedCombinations()
    {
        var data = new TheoryData<ImageMethod, AttributionSign>();
        foreach (var method in Enum.GetValues<ImageMethod>())
            foreach (var sign in Enum.GetValues<AttributionSign>())
                if (method == ImageMethod.OriginalImage ? sign == AttributionSign.AbsoluteValue
                    : !(sign == AttributionSign.All && method is ImageMethod.MaskedImage or ImageMethod.AlphaScaling))
                    data.Add(method, sign);
        return data;
    }

    [Theory]
    [MemberData(nameof(AllowedCombinations))]
    public void Every_method_and_sign_renders_like_captum(ImageMethod method, AttributionSign sign)
    {
        using var attribution = TestData.AttributionChw();
        using var image = TestData.ImageChw();
        var view = ImageView.Of(method, sign);
        var png = attribution.Plot(view).Over(image).WithSize(300, 300).ToPng();
        Snapshot.MatchPng(png, $"image_{view.ToString().Replace('/', '_')}");
    }

    [Theory]
    [InlineData(ImageMethod.MaskedImage)]
    [InlineData(ImageMethod.AlphaScaling)]
    public void Methods_that_cannot_show_both_signs_reject_All(ImageMethod method)
    {
        var e = Assert.Throws<UnsupportedViewException>(() => ImageView.Of(method, AttributionSign.All));
        Assert.Contains("All", e.Message);
        Assert.Throws<UnsupportedViewException>(() => ImageView.Of(method).All);
    }

    [Fact]
    public void Unknown_method_or_sign_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageView.Of((ImageMethod)42));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageView.HeatMap.WithSign((AttributionSign)9));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageView.HeatMap.WithOutlierPercent(100));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageView.BlendedHeatMap.WithAlphaOverlay(1.5));
    }

    [Fact]
    public void Views_read_like_captum_names_and_keep_captum_defaults()
    {
        Assert.Equal("blended_heat_map/positive", ImageView.BlendedHeatMap.Positive.ToString());
        Assert.Equal(AttributionSign.AbsoluteValue, ImageView.HeatMap.Sign);
        Assert.Equal(0.5, ImageView.BlendedHeatMap.AlphaOverlay);
        Assert.Equal(2, ImageView.HeatMap.OutlierPercent);
        Assert.Same(CaptumColormaps.Greens, ImageView.HeatMap.Positive.EffectiveColormap);
        Assert.Same(CaptumColormaps.RedWhiteGreen, ImageView.HeatMap.All.EffectiveColormap);
        Assert.Same(CaptumColormaps.Reds, ImageView.HeatMap.Negative.EffectiveColormap);
        Assert.Same(CaptumColormaps.Blues, ImageView.HeatMap.EffectiveColormap);
    }

    /// <summary>The figure of the <c>image_colorbar_title_colormap</c> snapshot.</summary>
    internal static ImageFigure ColorbarFigure()
    {
        var view = ImageView.BlendedHeatMap.All
            .WithColormap(new LinearSegmentedColormap("purple-orange", [ScottPlot.Color.FromHex("#5E3C99"), ScottPlot.Colors.White, ScottPlot.Color.FromHex("#E66101")]))
            .WithAlphaOverlay(0.7)
            .WithColorbar()
            .WithTitle("Blended, all signs");
        return TestData.AttributionChw().Plot(view).Over(TestData.ImageChw()).WithSize(300, 300);
    }

    [Fact]
    public void Colorbar_title_custom_colormap_and_alpha_render()
    {
        Snapshot.MatchPng(ColorbarFigure().ToPng(), "image_colorbar_title_colormap");
    }

    [Fact]
    public void Heat_map_needs_no_image_but_the_others_do()
    {
        using var attribution = TestData.AttributionChw();
        Assert.NotEmpty(attribution.Plot(ImageView.HeatMap.All).WithSize(100, 100).ToPng());
        var e = Assert.Throws<MissingInputException>(() => attribution.Plot(ImageView.MaskedImage.Positive).ToPng());
        Assert.Contains("Over(image)", e.Message);
    }

    [Fact]
    public void Svg_output_is_exact()
    {
        using var attribution = TestData.AttributionChw();
        var svg = attribution.Plot(ImageView.HeatMap.All.WithColorbar().WithTitle("Heat map")).WithSize(300, 300).ToSvg();
        Assert.StartsWith("<?xml", svg);
        Snapshot.MatchText(svg, "image_heat_map_all", "svg");
    }
}
