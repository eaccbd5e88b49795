using static TorchSharp.torch;

namespace FluentAttrib.Plotting.Tests;

public class TabularViewTests
{
    internal static readonly string[] Names =
    [
        "Proline", "Flavanoids", "Colour intensity", "Alcohol", "OD280/OD315", "Hue", "Grape", "Magnesium", "Ash",
        "Malic acid", "Total phenols", "Proanthocyanins",
    ];

    /// <summary>
    /// 80 rows × 12 features, deterministic (a fixed xorshift sequence): values roughly uniform in [−1, 1] (feature
    /// 6, "Grape", is categorical: NaN), attributions w_f · value + a little noise with w falling from 0.8 to 0.02, so
    /// high values push up for most features and down for "Flavanoids".
    /// </summary>
    internal static (Tensor Attributions, Tensor Values) Table()
    {
        const int rows = 80, features = 12;
        ulong state = 0x9E3779B97F4A7C15UL;
        double Next()
        {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            return (state >> 11) * (1.0 / (1UL << 53)) * 2 - 1;
        }
        double[] w = [0.8, -0.6, 0.45, 0.35, 0.3, -0.25, 0.2, 0.12, 0.08, -0.05, 0.03, 0.02];
        var phi = new double[rows * features];
        var values = new double[rows * features];
        for (int r = 0; r < rows; r++)
            for (int f = 0; f < features; f++)
            {
                double v = Next();
                double noise = 0.08 * Next();
                values[r * features + f] = f == 6 ? double.NaN : 10 * f + v;
                phi[r * features + f] = f == 6 ? w[f] * Math.Sign(v) + noise : w[f] * v + noise * Math.Abs(w[f]);
            }
        return (tensor(phi, [rows, features]), tensor(values, [rows, features]));
    }

    [Fact]
    public void Beeswarm_rows_sorted_by_mean_absolute_attribution_colored_by_value()
    {
        var (phi, values) = Table();
        var png = phi.Plot(TabularView.Beeswarm).Over(values).WithFeatureNames(Names).ToPng();
        Snapshot.MatchPng(png, "tabular_beeswarm");
    }

    [Fact]
    public void Beeswarm_sums_the_features_beyond_max_display()
    {
        var (phi, values) = Table();
        var figure = phi.Plot(TabularView.Beeswarm.WithMaxDisplay(5)).Over(values).WithFeatureNames(Names);
        Snapshot.MatchPng(figure.ToPng(), "tabular_beeswarm_max5");
    }

    [Fact]
    public void Waterfall_goes_from_the_base_value_to_the_prediction()
    {
        var (phi, values) = Table();
        var png = phi.Plot(TabularView.Waterfall).Over(values).WithFeatureNames(Names).WithBaseValue(0.25).ForExample(3).ToPng();
        Snapshot.MatchPng(png, "tabular_waterfall");
    }

    [Fact]
    public void Bar_shows_mean_absolute_attribution()
    {
        var (phi, _) = Table();
        var png = phi.Plot(TabularView.Bar.WithMaxDisplay(8)).WithFeatureNames(Names).ToPng();
        Snapshot.MatchPng(png, "tabular_bar");
    }

    [Fact]
    public void Dependence_scatter_of_one_feature_colored_by_another()
    {
        var (phi, values) = Table();
        var png = phi.Plot(TabularView.Dependence("Proline").WithColorFeature("Alcohol")).Over(values).WithFeatureNames(Names).ToPng();
        Snapshot.MatchPng(png, "tabular_dependence");
        var plain = phi.Plot(TabularView.Dependence(1)).Over(values).WithFeatureNames(Names).ToPng();
        Snapshot.MatchPng(plain, "tabular_dependence_plain");
    }

    [Fact]
    public void The_order_of_features_does_not_change_the_figure()
    {
        // Reversing the columns (attributions, values and names together) draws the same beeswarm.
        var (phi, values) = Table();
        var reversedNames = Names.Reverse().ToArray();
        using var flippedPhi = phi.flip(1);
        using var flippedValues = values.flip(1);
        var a = phi.Plot(TabularView.Beeswarm).Over(values).WithFeatureNames(Names).WithSize(500, 400).ToPng();
        var b = flippedPhi.Plot(TabularView.Beeswarm).Over(flippedValues).WithFeatureNames(reversedNames).WithSize(500, 400).ToPng();
        Assert.Null(Snapshot.ComparePng(a, b));
    }

    [Fact]
    public void Changed_attributions_change_the_snapshot()
    {
        // The comparison is strict enough to see one row's attributions moved (a negative test of the snapshot check).
        var (phi, values) = Table();
        using var moved = phi.clone();
        moved[5, 0] = tensor(-0.79);
        var png = moved.Plot(TabularView.Beeswarm).Over(values).WithFeatureNames(Names).ToPng();
        Assert.NotNull(Snapshot.ComparePng(Snapshot.ApprovedPng("tabular_beeswarm"), png));
        var waterfall = phi.Plot(TabularView.Waterfall).Over(values).WithFeatureNames(Names).WithBaseValue(0.35).ForExample(3).ToPng();
        Assert.NotNull(Snapshot.ComparePng(Snapshot.ApprovedPng("tabular_waterfall"), waterfall));
    }

    [Fact]
    public void Color_limits_are_shaps_percentiles()
    {
        double[] values = [.. Enumerable.Range(0, 101).Select(i => (double)i), double.NaN];
        Assert.Equal((5.0, 95.0), TabularPlots.ColorLimits(values));
        var positions = TabularPlots.ColorPositions(values);
        Assert.Equal(0, positions[0]);
        Assert.Equal(0.5, positions[50], 12);
        Assert.Equal(1, positions[100]);
        Assert.True(double.IsNaN(positions[101]));
        Assert.Equal("+0.12", TabularPlots.Signed(0.1234));
        Assert.Equal("\u22120.5", TabularPlots.Signed(-0.5));
        // SHAP's red_blue: blue (0, 138, 250) at the low end, red (255, 0, 82) at the high end.
        var low = ShapColors.RedBlue.GetColor(0);
        var high = ShapColors.RedBlue.GetColor(1);
        Assert.True(low.B > 240 && low.R < 10 && Math.Abs(low.G - 138) <= 2, low.ToString());
        Assert.True(high.R > 250 && high.G < 5 && Math.Abs(high.B - 82) <= 2, high.ToString());
    }

    [Fact]
    public void Bad_tabular_input_is_a_typed_error()
    {
        var (phi, values) = Table();
        Assert.Throws<MissingInputException>(() => phi.Plot(TabularView.Waterfall).Over(values).ForExample(0).ToPng());
        Assert.Throws<AttributionShapeException>(() => phi.Plot(TabularView.Waterfall).Over(values).WithBaseValue(0).ToPng());
        Assert.Throws<AttributionShapeException>(() => phi.Plot(TabularView.Waterfall).WithBaseValue(0).ForExample(80).ToPng());
        Assert.Throws<MissingInputException>(() => phi.Plot(TabularView.Dependence(0)).ToPng());
        Assert.Throws<ArgumentException>(() => phi.Plot(TabularView.Dependence("Nope")).Over(values).WithFeatureNames(Names).ToPng());
        Assert.Throws<ArgumentException>(() => phi.Plot(TabularView.Dependence("Grape")).Over(values).WithFeatureNames(Names).ToPng());
        Assert.Throws<AttributionShapeException>(() => phi.Plot(TabularView.Dependence(12)).Over(values).ToPng());
        Assert.Throws<ArgumentException>(() => phi.Plot(TabularView.Beeswarm).WithFeatureNames("one", "two").ToPng());
        using var fewer = values[.., ..5];
        Assert.Throws<AttributionShapeException>(() => phi.Plot(TabularView.Beeswarm).Over(fewer).ToPng());
        using var cube = zeros(2, 3, 4);
        Assert.Throws<AttributionShapeException>(() => cube.Plot(TabularView.Bar).ToPng());
        using var nan = phi.clone();
        nan[0, 0] = tensor(double.NaN);
        Assert.Throws<NonFiniteValuesException>(() => nan.Plot(TabularView.Bar).ToPng());
        using var inf = values.clone();
        inf[0, 0] = tensor(double.PositiveInfinity);
        Assert.Throws<NonFiniteValuesException>(() => phi.Plot(TabularView.Beeswarm).Over(inf).ToPng());
        Assert.Throws<NonFiniteValuesException>(() => phi.Plot(TabularView.Waterfall).WithBaseValue(double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => TabularView.Bar.WithMaxDisplay(0));
        Assert.Throws<InvalidOperationException>(() => TabularView.Bar.WithColorFeature("Alcohol"));
    }
}
