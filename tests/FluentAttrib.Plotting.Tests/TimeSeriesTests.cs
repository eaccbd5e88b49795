using static TorchSharp.torch;

namespace FluentAttrib.Plotting.Tests;

public class TimeSeriesTests
{
    private static readonly string[] Labels = ["sine", "cosine", "ramp"];

    /// <summary>The figure of the <c>timeseries_overlay_individual</c> snapshot.</summary>
    internal static TimeSeriesFigure OverlayIndividualFigure()
    {
        var (data, attr) = TestData.Series();
        return attr.Plot(TimeSeriesView.OverlayIndividual.All.WithColorbar()).Over(data)
            .WithChannelLabels(Labels).WithTitle("overlay_individual").WithSize(420, 420);
    }

    /// <summary>The figure of the <c>timeseries_overlay_combined</c> snapshot.</summary>
    internal static TimeSeriesFigure OverlayCombinedFigure()
    {
        var (data, attr) = TestData.Series();
        return attr.Plot(TimeSeriesView.OverlayCombined.Positive).Over(data)
            .WithChannelLabels(Labels).WithTitle("overlay_combined").WithSize(420, 300);
    }

    [Fact]
    public void Overlay_individual_one_panel_per_channel()
    {
        Snapshot.MatchPng(OverlayIndividualFigure().ToPng(), "timeseries_overlay_individual");
    }

    [Fact]
    public void Overlay_combined_one_panel_summed_attributions()
    {
        Snapshot.MatchPng(OverlayCombinedFigure().ToPng(), "timeseries_overlay_combined");
    }

    [Fact]
    public void Colored_graph_line_colored_by_attribution()
    {
        var (data, attr) = TestData.Series();
        var png = attr.Plot(TimeSeriesView.ColoredGraph.AbsoluteValue.WithColorbar()).Over(data)
            .WithChannelLabels(Labels).WithTitle("colored_graph").WithSize(420, 420).ToPng();
        Snapshot.MatchPng(png, "timeseries_colored_graph");
    }

    [Fact]
    public void Uneven_x_values_give_strips_reaching_halfway_to_each_neighbor()
    {
        var (data, attr) = TestData.Series(8);
        double[] x = [0, 1, 2, 4, 8, 9, 15, 16];
        var figure = attr.Plot(TimeSeriesView.OverlayIndividual.All).Over(data).At(x).WithSize(420, 360);
        Snapshot.MatchPng(figure.ToPng(), "timeseries_uneven_x");
        Snapshot.MatchText(figure.ToSvg(), "timeseries_uneven_x", "svg");
    }

    [Fact]
    public void Channels_first_and_last_draw_the_same()
    {
        var (data, attr) = TestData.Series();
        var last = attr.Plot(TimeSeriesView.OverlayIndividual).Over(data).WithSize(300, 300).ToPng();
        using var dataFirst = data.t().contiguous();
        using var attrFirst = attr.t().contiguous();
        var first = attrFirst.Plot(TimeSeriesView.OverlayIndividual).Over(dataFirst).ChannelsFirst().WithSize(300, 300).ToPng();
        var auto = attrFirst.Plot(TimeSeriesView.OverlayIndividual).Over(dataFirst).WithSize(300, 300).ToPng();
        var batched = attrFirst.unsqueeze(0).Plot(TimeSeriesView.OverlayIndividual).Over(dataFirst.unsqueeze(0)).WithSize(300, 300).ToPng();
        Assert.Null(Snapshot.ComparePng(last, first));
        Assert.Null(Snapshot.ComparePng(last, auto));
        Assert.Null(Snapshot.ComparePng(last, batched));
    }

    [Fact]
    public void Bad_series_input_is_a_typed_error()
    {
        var (data, attr) = TestData.Series();
        Assert.Throws<MissingInputException>(() => attr.Plot(TimeSeriesView.ColoredGraph).ToPng());
        using var shorter = data[..50];
        Assert.Throws<AttributionShapeException>(() => attr.Plot(TimeSeriesView.ColoredGraph).Over(shorter).ToPng());
        Assert.Throws<AttributionShapeException>(() => attr.Plot(TimeSeriesView.ColoredGraph).Over(data).At([1.0, 2.0]).ToPng());
        Assert.Throws<ArgumentException>(() => attr.Plot(TimeSeriesView.ColoredGraph).Over(data).At([1.0, 1.0, 2.0]));
        Assert.Throws<NonFiniteValuesException>(() => attr.Plot(TimeSeriesView.ColoredGraph).Over(data).At([1.0, double.NaN]));
        Assert.Throws<ArgumentException>(() => attr.Plot(TimeSeriesView.OverlayIndividual).Over(data).WithChannelLabels("one").ToPng());
        using var cube = zeros(2, 3, 4, 5);
        Assert.Throws<AttributionShapeException>(() => cube.Plot(TimeSeriesView.ColoredGraph).Over(cube).ToPng());
        using var zero = zeros_like(attr);
        Assert.Contains("nothing to show", Assert.Single(zero.Plot(TimeSeriesView.OverlayCombined).Over(data).GetNotes()));
    }
}
