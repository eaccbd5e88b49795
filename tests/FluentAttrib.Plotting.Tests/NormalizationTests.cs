namespace FluentAttrib.Plotting.Tests;

/// <summary>Captum's normalization on arrays small enough to compute by hand.</summary>
public class NormalizationTests
{
    private static readonly double[] Signed = [-4, -1, 0, 2, 3];

    [Theory]
    // sorted [1,2,3,4], running sums [1,3,6,10]
    [InlineData(50, 3)]   // 10 × 0.5 = 5: first running sum ≥ 5 is 6, at value 3
    [InlineData(98, 4)]   // 9.8: only 10 reaches it
    [InlineData(100, 4)]  // 10: the total itself
    [InlineData(10, 1)]   // 1: the first value already reaches it
    [InlineData(0, 1)]    // 0: the first value
    [InlineData(30, 2)]   // 3: reached at 3, value 2
    public void Cumulative_sum_threshold_picks_the_value_where_the_running_sum_reaches_the_percentile(double percentile, double expected)
    {
        Assert.Equal(expected, AttributionNormalization.CumulativeSumThreshold(new double[] { 3, 1, 4, 2 }, percentile));
    }

    [Fact]
    public void Cumulative_sum_threshold_of_zeros_is_zero_and_bad_input_is_rejected()
    {
        Assert.Equal(0, AttributionNormalization.CumulativeSumThreshold(new double[] { 0, 0, 0 }, 98));
        Assert.Equal(5, AttributionNormalization.CumulativeSumThreshold(new double[] { 0, 0, 0, 0, 5 }, 98));
        Assert.Throws<ArgumentOutOfRangeException>(() => AttributionNormalization.CumulativeSumThreshold(new double[] { 1 }, 101));
        Assert.Throws<ArgumentOutOfRangeException>(() => AttributionNormalization.CumulativeSumThreshold(new double[] { 1 }, -1));
        Assert.Throws<ArgumentException>(() => AttributionNormalization.CumulativeSumThreshold(ReadOnlySpan<double>.Empty, 50));
        Assert.Throws<ArgumentException>(() => AttributionNormalization.CumulativeSumThreshold(new double[] { 1, -1 }, 50));
        Assert.Throws<ArgumentException>(() => AttributionNormalization.CumulativeSumThreshold(new double[] { 1, double.NaN }, 50));
    }

    [Fact]
    public void Channel_sum_adds_the_last_dimension()
    {
        var hwc = new double[2, 2, 2] { { { 1, 2 }, { 3, 4 } }, { { 5, 6 }, { -7, 1 } } };
        Assert.Equal(new double[2, 2] { { 3, 7 }, { 11, -6 } }, AttributionNormalization.SumChannels(hwc));
        Assert.Equal(new double[] { 3, 7, 11, -6 }, AttributionNormalization.SumChannels(new double[] { 1, 2, 3, 4, 5, 6, -7, 1 }, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => AttributionNormalization.SumChannels(new double[] { 1, 2, 3 }, 2));
    }

    [Fact]
    public void Sign_selection_keeps_what_captum_keeps()
    {
        Assert.Equal(Signed, AttributionNormalization.SelectSign(Signed, AttributionSign.All));
        Assert.Equal(new double[] { 0, 0, 0, 2, 3 }, AttributionNormalization.SelectSign(Signed, AttributionSign.Positive));
        Assert.Equal(new double[] { -4, -1, 0, 0, 0 }, AttributionNormalization.SelectSign(Signed, AttributionSign.Negative));
        Assert.Equal(new double[] { 4, 1, 0, 2, 3 }, AttributionNormalization.SelectSign(Signed, AttributionSign.AbsoluteValue));
    }

    [Fact]
    public void All_divides_by_the_threshold_of_magnitudes()
    {
        // |v| sorted [0,1,2,3,4], sums [0,1,3,6,10]; 98% of 10 = 9.8 → threshold 4.
        var n = AttributionNormalization.Normalize(Signed, AttributionSign.All);
        Assert.Equal(4, n.Scale);
        Assert.Equal(new[] { -1, -0.25, 0, 0.5, 0.75 }, n.Values);
        Assert.Equal(0, n.ClippedCount);
        Assert.False(n.IsEmpty);
    }

    [Fact]
    public void Outliers_are_clipped_to_one()
    {
        // 50% of 10 = 5 → first sum ≥ 5 is 6, at 3; −4/3 clips to −1.
        var n = AttributionNormalization.Normalize(Signed, AttributionSign.All, outlierPercent: 50);
        Assert.Equal(3, n.Scale);
        Assert.Equal(new[] { -1, -1 / 3.0, 0, 2 / 3.0, 1 }, n.Values);
        Assert.Equal(1, n.ClippedCount);
    }

    [Fact]
    public void Positive_negative_and_absolute_value_follow_captum()
    {
        // positive: [0,0,0,2,3] sums [0,0,0,2,5]; 4.9 → 3.
        var positive = AttributionNormalization.Normalize(Signed, AttributionSign.Positive);
        Assert.Equal(3, positive.Scale);
        Assert.Equal(new[] { 0, 0, 0, 2 / 3.0, 1 }, positive.Values);
        // negative: magnitudes [0,0,0,1,4] sums [0,0,0,1,5]; 4.9 → 4; Captum divides by −4, giving magnitudes.
        var negative = AttributionNormalization.Normalize(Signed, AttributionSign.Negative);
        Assert.Equal(4, negative.Scale);
        Assert.Equal(new[] { 1, 0.25, 0, 0, 0 }, negative.Values);
        var absolute = AttributionNormalization.Normalize(Signed, AttributionSign.AbsoluteValue);
        Assert.Equal(4, absolute.Scale);
        Assert.Equal(new[] { 1, 0.25, 0, 0.5, 0.75 }, absolute.Values);
    }

    [Fact]
    public void A_fixed_scale_divides_and_counts_clipped_values()
    {
        var n = AttributionNormalization.NormalizeWith(Signed, AttributionSign.All, 2);
        Assert.Equal(new[] { -1, -0.5, 0, 1, 1 }, n.Values);
        Assert.Equal(2, n.ClippedCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => AttributionNormalization.NormalizeWith(Signed, AttributionSign.All, -1));
    }

    [Fact]
    public void An_empty_selection_gives_an_empty_map_instead_of_failing()
    {
        // Captum #959 asserts here ("Cannot normalize by scale factor = 0").
        var zeros = AttributionNormalization.Normalize(new double[] { 0, 0, 0 }, AttributionSign.All);
        Assert.True(zeros.IsEmpty);
        Assert.Equal(0, zeros.Scale);
        Assert.Equal(new double[3], zeros.Values);
        var noPositive = AttributionNormalization.Normalize(new double[] { -1, -2 }, AttributionSign.Positive);
        Assert.True(noPositive.IsEmpty);
        Assert.Equal(new double[2], noPositive.Values);
    }

    [Fact]
    public void Tiny_values_are_still_scaled_but_flagged()
    {
        var n = AttributionNormalization.Normalize(new[] { 1e-7, -2e-7 }, AttributionSign.All);
        Assert.True(n.IsTiny);
        Assert.Equal(new[] { 0.5, -1 }, n.Values);
        Assert.False(AttributionNormalization.Normalize(new[] { 1e-3 }, AttributionSign.All).IsTiny);
    }

    [Fact]
    public void Bad_outlier_percentages_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => AttributionNormalization.Normalize(Signed, AttributionSign.All, 100));
        Assert.Throws<ArgumentOutOfRangeException>(() => AttributionNormalization.Normalize(Signed, AttributionSign.All, -0.1));
    }

    [Fact]
    public void Colormaps_match_matplotlib_lookup_tables()
    {
        // Anchors at the ends and the middle, and matplotlib's floor(p·256) quantization.
        Assert.Equal(ScottPlot.Color.FromHex("#F7FCF5"), CaptumColormaps.Greens.GetColor(0));
        Assert.Equal(ScottPlot.Color.FromHex("#00441B"), CaptumColormaps.Greens.GetColor(1));
        Assert.Equal(ScottPlot.Color.FromHex("#67000D"), CaptumColormaps.Reds.GetColor(1));
        Assert.Equal(ScottPlot.Color.FromHex("#08306B"), CaptumColormaps.Blues.GetColor(1));
        Assert.Equal(ScottPlot.Color.FromHex("#FF0000"), CaptumColormaps.RedWhiteGreen.GetColor(0));
        Assert.Equal(ScottPlot.Color.FromHex("#008000"), CaptumColormaps.RedWhiteGreen.GetColor(1));
        // Entry 128 of 256 lies at 128/255 along red→white→green, just past white: (255 − 255·(1/255)·2 ...) ≈ #FDFEFD.
        var middle = CaptumColormaps.RedWhiteGreen.GetColor(0.5);
        Assert.True(middle.R >= 250 && middle.G >= 250 && middle.B >= 250, middle.ToString());
        Assert.Equal(CaptumColormaps.Greens.GetColor(0.999), CaptumColormaps.Greens.GetColor(1));
        Assert.Equal(CaptumColormaps.Greens.GetColor(-3), CaptumColormaps.Greens.GetColor(0));
        Assert.Equal(256, CaptumColormaps.Greens.Levels);
    }
}
