using FluentAttrib.Plotting;
using TorchSharp;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Plotting.Tests;

public class ComparisonPlotTests
{
    private static ComparisonReport Report()
    {
        manual_seed(4);
        var model = nn.Linear(8, 2, hasBias: false);
        model.to(ScalarType.Float64).eval();
        var x = randn(4, 8, dtype: ScalarType.Float64);
        return Compare(model).For(Target.PerExample(0, 1, 0, 1))
            .Methods(Saliency.Signed, InputXGradient.Default)
            .Metrics(Deletion.Default.Softmax(false).FeaturesPerStep(2), Sparseness.Default)
            .On(x);
    }

    [Fact]
    public void Curves_and_scores_are_drawn_one_series_or_bar_per_method()
    {
        var report = Report();
        using var curves = report.CurvesPlot(0);
        Assert.Equal(2, curves.GetPlottables().Count());
        var png = curves.GetImageBytes(600, 400, ScottPlot.ImageFormat.Png);
        Assert.True(png.Length > 1000);
        using var scores = report.ScoresPlot(1);
        Assert.Single(scores.GetPlottables());
        Assert.True(scores.GetImageBytes(600, 400, ScottPlot.ImageFormat.Png).Length > 1000);
        Assert.Equal("metric", Assert.Throws<ArgumentException>(() => report.CurvesPlot(1)).ParamName);
        Assert.Equal("metric", Assert.Throws<ArgumentOutOfRangeException>(() => report.ScoresPlot(2)).ParamName);
    }
}
