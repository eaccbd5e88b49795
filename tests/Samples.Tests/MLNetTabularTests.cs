using MLNetTabular;
using SkiaSharp;
using Xunit;
using Xunit.Abstractions;

namespace Samples.Tests;

/// <summary>The ML.NET sample: the FastTree model learns, Kernel SHAP adds up, the figures are real.</summary>
public sealed class MLNetTabularTests(WineShapRun run, ITestOutputHelper output) : IClassFixture<WineShapRun>
{
    [Fact]
    public void The_fast_tree_model_classifies_the_held_out_wines()
    {
        output.WriteLine($"test accuracy {run.Result.TestAccuracy:P1} on {run.Result.TestWines} wines; explained in {run.Result.ExplainTime.TotalSeconds:F1} s");
        Assert.InRange(run.Result.TestAccuracy, 0.85, 1.0); // measured 94.2% (49 of 52)
        Assert.Equal(40, run.Result.BackgroundWines);
    }

    [Fact]
    public void Kernel_shap_values_add_up_to_each_wines_probability_minus_the_background_mean()
    {
        output.WriteLine($"largest additivity error {run.Result.MaxAdditivityError:E2}");
        Assert.True(run.Result.MaxAdditivityError < 1e-4, $"additivity error {run.Result.MaxAdditivityError}");
        Assert.InRange(run.Result.WaterfallBase, 0.1, 0.6);       // about a third of the wines are cultivar 0
        Assert.InRange(run.Result.WaterfallPrediction, 0.8, 1.0); // the waterfall shows the most cultivar-0-like wine
    }

    [Fact]
    public void Proline_or_flavanoids_set_cultivar_0_apart_and_permutation_importance_agrees()
    {
        // Cultivar 0's wines have the most proline and many flavanoids (UCI's description). ML.NET's permutation
        // importance (log-loss over all classes) ranks the same feature among its top three.
        var bySHAP = run.Result.Importance.OrderByDescending(f => f.MeanAbsShap).ToArray();
        var byPfi = run.Result.Importance.OrderByDescending(f => f.PermutationLogLossIncrease).Take(3).Select(f => f.Feature).ToArray();
        foreach (var f in bySHAP) output.WriteLine($"{f.Feature,-22} |SHAP| {f.MeanAbsShap:F4}   PFI {f.PermutationLogLossIncrease:F4}");
        Assert.Contains(bySHAP[0].Feature, new[] { "Proline", "Flavanoids" });
        Assert.Contains(bySHAP[0].Feature, byPfi);
        Assert.True(bySHAP[^1].MeanAbsShap < 0.1 * bySHAP[0].MeanAbsShap);
    }

    [Fact]
    public void The_four_shap_views_are_written_as_pngs()
    {
        Assert.Equal(
            ["wine_shap_bar.png", "wine_shap_beeswarm.png", "wine_shap_dependence_proline.png", "wine_shap_waterfall.png"],
            run.Result.Figures.Select(f => f.Name).Order());
        foreach (var (name, png) in run.Result.Figures)
        {
            using var bitmap = SKBitmap.Decode(png);
            Assert.NotNull(bitmap);
            Assert.InRange(bitmap.Width, 600, 900);
            // SHAP's red (positive, high values) and blue (negative, low values) both appear in every view but the bar.
            bool red = false, blue = false;
            for (int y = 0; y < bitmap.Height; y += 2)
                for (int x = 0; x < bitmap.Width; x += 2)
                {
                    var c = bitmap.GetPixel(x, y);
                    red |= c.Red > 200 && c.Green < 60 && c.Blue < 140;
                    blue |= c.Blue > 200 && c.Red < 60 && c.Green > 100;
                }
            Assert.True(blue, $"{name} has no blue");
            if (name != "wine_shap_bar.png") Assert.True(red, $"{name} has no red");
        }
    }
}

public sealed class WineShapRun
{
    public WineShapRun() => Result = WineShap.Run(TextWriter.Null, samples: 100);

    internal WineShapResult Result { get; }
}
