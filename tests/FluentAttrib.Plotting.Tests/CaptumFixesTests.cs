using static TorchSharp.torch;

namespace FluentAttrib.Plotting.Tests;

/// <summary>What Captum's users complain about, fixed and pinned.</summary>
public class CaptumFixesTests
{
    [Fact]
    public void All_zero_attribution_draws_an_empty_map_with_a_note_959()
    {
        using var zero = zeros(3, TestData.H, TestData.W);
        using var image = TestData.ImageChw();
        var figure = zero.Plot(ImageView.HeatMap.All.WithColorbar(), ImageView.BlendedHeatMap.Positive).Over(image).WithSize(500, 240);
        Assert.Contains(figure.GetNotes(), n => n.Contains("All attributions are zero", StringComparison.Ordinal));
        Assert.Contains(figure.GetNotes(), n => n.Contains("No positive attributions", StringComparison.Ordinal));
        Snapshot.MatchPng(figure.ToPng(), "fix_959_all_zero");
    }

    [Fact]
    public void A_sign_with_nothing_to_show_is_noted_not_fatal()
    {
        using var negative = -TestData.AttributionChw().abs();
        var notes = negative.Plot(ImageView.HeatMap.Positive).GetNotes();
        Assert.Equal(["No positive attributions: nothing to show."], notes);
    }

    [Fact]
    public void Negative_pixel_values_are_rescaled_for_display_not_clipped_1098()
    {
        using var image = TestData.ImageChw();
        // ImageNet-style normalization gives values around [-2, 2.6].
        using var mean = tensor(new float[] { 0.485f, 0.456f, 0.406f }).reshape(3, 1, 1);
        using var std = tensor(new float[] { 0.229f, 0.224f, 0.225f }).reshape(3, 1, 1);
        using var normalized = (image - mean) / std;
        using var attr = TestData.AttributionChw();
        var figure = attr.Plot(ImageView.OriginalImage, ImageView.BlendedHeatMap.All).Over(normalized).WithSize(500, 220);
        var note = Assert.Single(figure.GetNotes());
        Assert.Contains("rescaled to [0, 255] for display, not clipped", note);
        var png = figure.ToPng();
        Snapshot.MatchPng(png, "fix_1098_negative_pixels");
        // Min-max rescaling keeps the darkest pixel black and the brightest white, none lost to clipping.
        var plain = attr.Plot(ImageView.OriginalImage).Over(image).WithSize(160, 120).ToPng();
        var rescaled = attr.Plot(ImageView.OriginalImage).Over(normalized).WithSize(160, 120).ToPng();
        Assert.NotEmpty(plain);
        Assert.NotEmpty(rescaled);
    }

    [Fact]
    public void Shared_and_raw_scales_compare_panels_1103()
    {
        using var strong = TestData.AttributionChw();
        using var weak = strong * 0.25;
        var perPanel = strong.Plot(ImageView.HeatMap.All.WithTitle("strong")).Beside(weak, ImageView.HeatMap.All.WithTitle("weak ×0.25"))
            .WithColorbar().WithSize(500, 240);
        // Captum's per-panel scaling makes both panels look the same.
        var images = perPanel.ToPng();
        var shared = perPanel.WithScale(AttributionScale.Shared).WithTitle("Shared scale");
        var raw = perPanel.WithScale(AttributionScale.Raw).WithTitle("Raw values");
        Snapshot.MatchPng(images, "fix_1103_per_panel");
        Snapshot.MatchPng(shared.ToPng(), "fix_1103_shared");
        Snapshot.MatchPng(raw.ToPng(), "fix_1103_raw");
        Assert.Empty(raw.GetNotes());
        var clipped = perPanel.WithScale(AttributionScale.Fixed(0.1)).GetNotes();
        Assert.Contains(clipped, n => n.Contains("clipped", StringComparison.Ordinal));
    }

    [Fact]
    public void Tiny_values_are_not_blown_up_silently_393()
    {
        using var tiny = TestData.AttributionChw() * 1e-8;
        var figure = tiny.Plot(ImageView.HeatMap.All.WithColorbar()).WithSize(300, 300);
        var note = Assert.Single(figure.GetNotes());
        Assert.Contains("colors stretch tiny values", note);
        Snapshot.MatchPng(figure.ToPng(), "fix_393_tiny_values");
        // With raw scaling they stay pale and there is nothing to warn about.
        Assert.Empty(tiny.Plot(ImageView.HeatMap.All).WithScale(AttributionScale.Raw).GetNotes());
    }
}
