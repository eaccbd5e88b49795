namespace FluentAttrib.Plotting.Tests;

public class MultiPanelTests
{
    /// <summary>The figure of the <c>multi_panel</c> snapshot.</summary>
    internal static ImageFigure Figure() =>
        TestData.AttributionChw().Plot(
                ImageView.OriginalImage.WithTitle("Original"),
                ImageView.HeatMap.All.WithTitle("Heat map").WithColorbar(),
                ImageView.BlendedHeatMap.Positive.WithTitle("Blended, positive").WithColorbar(),
                ImageView.MaskedImage.AbsoluteValue.WithTitle("Masked"))
            .Over(TestData.ImageChw())
            .WithTitle("Integrated Gradients, target 3")
            .WithSize(900, 300);

    [Fact]
    public void Original_beside_heat_maps_like_visualize_image_attr_multiple()
    {
        var figure = Figure();
        Assert.Equal(4, figure.Views.Count);
        Snapshot.MatchPng(figure.ToPng(), "multi_panel");
    }

    [Fact]
    public void Multiplot_is_available_for_scottplot_users()
    {
        using var attr = TestData.AttributionChw();
        var multiplot = attr.Plot(ImageView.HeatMap.All, ImageView.HeatMap.Positive).WithSize(400, 200).ToMultiplot();
        Assert.Equal(2, ScottPlot.IMultiplotExtensions.Count(multiplot));
        using var image = ScottPlot.IMultiplotExtensions.Render(multiplot, 400, 200);
        Assert.Equal(400, image.Width);
    }
}
