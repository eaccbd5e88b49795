using ScottPlot;

namespace FluentAttrib.Plotting.Tests;

/// <summary>Our views as ScottPlot plottables, composed with ScottPlot's own.</summary>
public class NativeScottPlotTests
{
    /// <summary>
    /// Each test starts from ScottPlot's default font state. In some runs (about one in three, in no fixed test order)
    /// ScottPlot's process-wide <c>Fonts.DefaultFontStyle</c> is found set to regular DejaVu Sans before these tests
    /// start, although neither FluentAttrib nor these tests assign it; every label created afterwards then uses that
    /// regular typeface, and titles lose their bold. These tests check what our views and renders do, so they start
    /// from the defaults.
    /// </summary>
    public NativeScottPlotTests() => ScottPlot.Fonts.Reset();

    [Fact]
    public void Image_view_composes_with_scottplot_plottables()
    {
        using var attr = TestData.AttributionChw();
        using var image = TestData.ImageChw();
        using var plot = new Plot();
        var heat = plot.Add.Attribution(attr, ImageView.BlendedHeatMap.All, image);
        plot.Add.ColorBar(heat);
        var marker = plot.Add.Marker(9.5, TestData.H - 8.5);
        marker.MarkerSize = 12;
        var label = plot.Add.Text("peak", 11, TestData.H - 7);
        label.LabelFontColor = Colors.Black;
        label.LabelFontName = "DejaVu Sans";
        plot.Axes.SquareUnits();
        plot.Title("plot.Add.Attribution");
        PlotStyling.Font(plot, "DejaVu Sans");
        Assert.Equal(new ScottPlot.Range(-1, 1).Min, heat.GetRange().Min);
        Assert.Empty(heat.Notes);
        Snapshot.MatchPng(plot.GetImageBytes(300, 260, ImageFormat.Png), "native_image");
    }

    [Fact]
    public void Time_series_view_composes_with_scottplot_plottables()
    {
        var (data, attr) = TestData.Series();
        using var plot = new Plot();
        var series = plot.Add.TimeSeriesAttribution(attr, data, TimeSeriesView.OverlayIndividual.All, channel: 1);
        plot.Add.HorizontalLine(0, color: Colors.Gray, pattern: LinePattern.Dashed);
        plot.Add.ColorBar(series, Edge.Right);
        plot.Title("plot.Add.TimeSeriesAttribution");
        PlotStyling.Font(plot, "DejaVu Sans");
        Snapshot.MatchPng(plot.GetImageBytes(360, 240, ImageFormat.Png), "native_timeseries");
        Assert.Throws<AttributionShapeException>(() => plot.Add.TimeSeriesAttribution(attr, data, TimeSeriesView.ColoredGraph, channel: 3));
    }

    [Fact]
    public void Rendering_figures_leaves_scottplot_defaults_alone()
    {
        string before = ScottPlot.Fonts.Default;
        using var attr = TestData.AttributionChw();
        _ = attr.Plot(ImageView.HeatMap.All.WithTitle("t").WithColorbar()).WithSize(200, 200).ToPng();
        var (data, series) = TestData.Series();
        _ = series.Plot(TimeSeriesView.OverlayCombined).Over(data).WithChannelLabels("a", "b", "c").WithSize(200, 200).ToPng();
        Assert.Equal(before, ScottPlot.Fonts.Default);
        using var fresh = new Plot();
        Assert.Null(fresh.Axes.Title.Label.Font);
    }

    [Fact]
    public void Token_view_is_a_plottable_too()
    {
        using var plot = new Plot();
        var tokens = plot.Add.TokenAttributions(new TextRecord(["one", "two"], [0.5, -0.5]));
        Assert.Equal(2, tokens.Records[0].Tokens.Count);
        Assert.InRange(tokens.MeasureHeight(300), 40, 200);
    }
}
