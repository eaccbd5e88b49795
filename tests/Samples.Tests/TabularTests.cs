using System.Xml.Linq;
using SkiaSharp;
using Tabular;
using Xunit;
using Xunit.Abstractions;

namespace Samples.Tests;

/// <summary>The Wine sample: the model learns, the three methods agree, the charts are real.</summary>
public sealed class TabularTests(WineRun run, ITestOutputHelper output) : IClassFixture<WineRun>
{
    [Fact]
    public void The_data_is_sklearns_wine_split_three_to_one()
    {
        using var wine = Wine.Load();
        Assert.Equal([133L, 13], wine.TrainX.shape);
        Assert.Equal([45L, 13], wine.TestX.shape);
        Assert.Equal(0, wine.TrainX.mean([0]).abs().max().item<float>(), 4);   // standardised with the training statistics
        Assert.InRange(wine.Mean[12], 700, 800);                                  // proline, mg/l (all wines: 746)
    }

    [Fact]
    public void The_model_classifies_the_held_out_wines()
    {
        output.WriteLine($"test accuracy {run.Result.TestAccuracy:P1}");
        Assert.InRange(run.Result.TestAccuracy, 0.9, 1.0); // measured 97.8% (44 of 45)
    }

    [Fact]
    public void FeatureAblation_and_KernelShap_agree_with_IntegratedGradients()
    {
        // Three different ideas (path integral, one-at-a-time removal, a weighted linear surrogate) on a small MLP,
        // averaged over a class's wines: measured correlations ≥ 0.99 with IG for every class.
        foreach (var c in run.Result.Classes)
        {
            var ig = c.ByMethod["IntegratedGradients"];
            foreach (var other in new[] { "FeatureAblation", "KernelShap" })
            {
                double r = Correlation(ig, c.ByMethod[other]);
                output.WriteLine($"cultivar {c.Class}: corr(IG, {other}) = {r:F3}");
                Assert.True(r >= 0.95, $"cultivar {c.Class}: {other} correlates {r:F3} with IG");
            }
        }
        Assert.True(run.Result.MaxIgDelta < 0.1, $"IG completeness error {run.Result.MaxIgDelta}");
    }

    [Fact]
    public void Proline_is_what_sets_cultivar_0_apart()
    {
        // Cultivar 0's wines have by far the most proline (UCI's description; class means ≈ 1116 vs 520 and 630 mg/l).
        var ig = run.Result.Classes[0].ByMethod["IntegratedGradients"];
        Assert.Equal("Proline", Wine.FeatureNames[Array.IndexOf(ig, ig.Max())]);
    }

    [Fact]
    public void Each_class_gets_a_png_and_an_svg_bar_chart()
    {
        Assert.Equal(
            ["wine_cultivar_0.png", "wine_cultivar_0.svg", "wine_cultivar_1.png", "wine_cultivar_1.svg", "wine_cultivar_2.png", "wine_cultivar_2.svg"],
            run.Result.Figures.Select(f => f.Name).Order());
        foreach (var (name, content) in run.Result.Figures)
        {
            if (name.EndsWith(".png"))
            {
                using var bitmap = SKBitmap.Decode(content);
                Assert.Equal((900, 560), (bitmap.Width, bitmap.Height));
            }
            else
            {
                var svg = XDocument.Parse(System.Text.Encoding.UTF8.GetString(content));
                Assert.Equal("svg", svg.Root!.Name.LocalName);
                Assert.Contains("Flavanoids", svg.ToString());
            }
        }
    }

    private static double Correlation(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average();
        double cov = a.Zip(b, (x, y) => (x - ma) * (y - mb)).Sum();
        return cov / Math.Sqrt(a.Sum(x => (x - ma) * (x - ma)) * b.Sum(y => (y - mb) * (y - mb)));
    }
}

/// <summary>The Wine demo, run once (KernelShap with 100 samples to keep it quick).</summary>
public sealed class WineRun : IDisposable
{
    private readonly Wine _wine = Wine.Load();

    public WineRun() => Result = WineDemo.Run(_wine, TextWriter.Null, kernelShapSamples: 100);

    internal WineResult Result { get; }

    public void Dispose() => _wine.Dispose();
}
