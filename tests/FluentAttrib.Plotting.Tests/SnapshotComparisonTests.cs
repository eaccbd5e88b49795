using System.Reflection;
using ScottPlot;
using SkiaSharp;

namespace FluentAttrib.Plotting.Tests;

/// <summary>
/// The snapshot comparison is strict enough to see a missing element: each snapshot's figure, prepared and rendered
/// as <see cref="AttributionFigure.ToPng"/> does, first reproduces its approved snapshot; then the same figure with
/// one element taken out (everything else left where it was) must be rejected against that snapshot.
/// </summary>
public class SnapshotComparisonTests
{
    // ---- the comparison itself, on synthetic images ----

    [Fact]
    public void The_same_figure_rendered_twice_matches()
    {
        Assert.Null(Snapshot.ComparePng(TimeSeriesTests.OverlayCombinedFigure().ToPng(), TimeSeriesTests.OverlayCombinedFigure().ToPng()));
        Assert.Null(Snapshot.ComparePng(TextTests.Figure().WithSize(520, 250).ToPng(), TextTests.Figure().WithSize(520, 250).ToPng()));
    }

    [Fact]
    public void Rounding_noise_within_the_channel_tolerance_matches()
    {
        var a = Synthetic(400, 300, (x, y) => new SKColor((byte)(x % 200), (byte)(y % 200), 100));
        var b = Synthetic(400, 300, (x, y) => new SKColor((byte)(x % 200 + (x + y) % 3), (byte)(y % 200), 100));
        Assert.Null(Snapshot.ComparePng(a, b));
    }

    [Fact]
    public void A_few_stray_pixels_match_but_a_thin_pale_line_does_not()
    {
        static SKColor Background(int x, int y) => SKColors.White;
        var white = Synthetic(400, 300, Background);
        // 10 isolated pixels of 120 000 (below 0.01%): tolerated.
        Assert.Null(Snapshot.ComparePng(white, Synthetic(400, 300, (x, y) => y == 150 && x % 40 == 0 ? SKColors.Black : SKColors.White)));
        // A one-pixel line across, 10/255 off white: 400 pixels (0.33%), which the former 24/255-on-0.5% tolerance passed.
        var message = Snapshot.ComparePng(white, Synthetic(400, 300, (x, y) => y == 150 ? new SKColor(245, 245, 245) : SKColors.White));
        Assert.NotNull(message);
        Assert.Contains("400 pixels", message);
        Assert.Contains("y 150..150", message);
    }

    // ---- one element removed from a snapshot's figure ----

    [Fact]
    public void Image_figure_without_its_colorbar_is_rejected()
    {
        AssertRejected("image_colorbar_title_colormap", ImageViewTests.ColorbarFigure(), prepared =>
        {
            var plot = Assert.Single(Plots(prepared));
            plot.Axes.Remove(Assert.Single(plot.Axes.GetPanels().OfType<ScottPlot.Panels.ColorBar>()));
        });
    }

    [Fact]
    public void Image_figure_without_one_panel_is_rejected()
    {
        // The third panel (blended heat map) loses its image; its frame, title and colorbar stay.
        AssertRejected("multi_panel", MultiPanelTests.Figure(), prepared =>
            Assert.Single(Plots(prepared)[2].GetPlottables().OfType<AttributionImage>()).IsVisible = false);
    }

    [Fact]
    public void Time_series_figure_without_one_line_is_rejected()
    {
        // The combined overlay draws three lines in one panel: drop the last (the ramp), keep its strips and legend.
        AssertRejected("timeseries_overlay_combined", TimeSeriesTests.OverlayCombinedFigure(), prepared =>
        {
            var panel = Assert.Single(Assert.Single(Plots(prepared)).GetPlottables().OfType<TimeSeriesAttribution>());
            var field = typeof(TimeSeriesAttribution).GetField("_series", BindingFlags.NonPublic | BindingFlags.Instance);
            Assert.NotNull(field);
            var series = Assert.IsType<double[][]>(field.GetValue(panel));
            Assert.Equal(3, series.Length);
            field.SetValue(panel, series[..2]);
        });
    }

    [Fact]
    public void Time_series_figure_without_one_panel_is_rejected()
    {
        // The middle channel's panel loses its line and strips; its axes and label stay.
        AssertRejected("timeseries_overlay_individual", TimeSeriesTests.OverlayIndividualFigure(), prepared =>
            Assert.Single(Plots(prepared)[1].GetPlottables().OfType<TimeSeriesAttribution>()).IsVisible = false);
    }

    [Fact]
    public void Time_series_figure_without_its_colorbar_is_rejected()
    {
        AssertRejected("timeseries_overlay_individual", TimeSeriesTests.OverlayIndividualFigure(), prepared =>
        {
            var plot = Plots(prepared)[^1];
            plot.Axes.Remove(Assert.Single(plot.Axes.GetPanels().OfType<ScottPlot.Panels.ColorBar>()));
        });
    }

    [Theory]
    [InlineData(1)] // "the", 0.05: the palest highlight, 9/255 off white
    [InlineData(2)] // "movie", 0.2
    [InlineData(4)] // "not", -0.8
    [InlineData(8)] // "!", 0.1
    public void Text_figure_without_one_tokens_highlight_is_rejected(int token)
    {
        var approved = Snapshot.ApprovedPng("text");
        Assert.Null(Snapshot.ComparePng(approved, TextTests.Figure().WithSize(520, 250).ToPng()));
        var without = TextTests.Figure(unhighlighted: token).WithSize(520, 250).ToPng();
        Assert.NotNull(Snapshot.ComparePng(approved, without));
    }

    /// <summary>
    /// The untouched figure, prepared and rendered here, matches the approved snapshot (so the removal is the only
    /// difference); the figure with <paramref name="remove"/> applied after preparing does not.
    /// </summary>
    private static void AssertRejected(string snapshot, AttributionFigure figure, Action<PreparedFigure> remove)
    {
        var approved = Snapshot.ApprovedPng(snapshot);
        Assert.Null(Snapshot.ComparePng(approved, Render(figure, null)));
        Assert.Null(Snapshot.ComparePng(approved, figure.ToPng()));
        var without = Render(figure, remove);
        Assert.NotNull(Snapshot.ComparePng(approved, without));
    }

    private static byte[] Render(AttributionFigure figure, Action<PreparedFigure>? remove)
    {
        using var prepared = figure.Prepare();
        remove?.Invoke(prepared);
        return FigureRenderer.Png(prepared);
    }

    private static Plot[] Plots(PreparedFigure prepared) => Assert.IsType<MultiplotFigure>(prepared).Multiplot.GetPlots();

    private static byte[] Synthetic(int width, int height, Func<int, int, SKColor> color)
    {
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                bitmap.SetPixel(x, y, color(x, y));
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
