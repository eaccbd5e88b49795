using TorchSharp;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Metrics;

/// <summary>
/// One hand-computable case per evaluation metric (beyond the Quantus golden cases, which compare with Quantus's
/// output): linear models and tiny images whose every forward pass is worked out in the comments, so each expected value
/// follows from the metric's definition, not from running it.
/// </summary>
public class AnalyticMetricTests
{
    /// <summary>f(x) = w·x over the flattened example, one output, float64.</summary>
    private static nn.Module<Tensor, Tensor> Linear(params double[] w)
    {
        var linear = nn.Linear(w.Length, 1, hasBias: false);
        var model = nn.Sequential(nn.Flatten(), linear);
        model.to(ScalarType.Float64).eval();
        using (no_grad()) linear.weight!.copy_(tensor(w).reshape(1, w.Length));
        return model;
    }

    private static Tensor Row(params double[] values) => tensor(values).reshape(1, values.Length);

    /// <summary>A 1×1×2×2 image of the four values (row-major).</summary>
    private static Tensor Image(params double[] values) => tensor(values).reshape(1, 1, 2, 2);

    private static double[] Values(Tensor t) => t.to(ScalarType.Float64).data<double>().ToArray();

    private static double Pearson(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average();
        double cov = a.Zip(b).Sum(p => (p.First - ma) * (p.Second - mb));
        return cov / Math.Sqrt(a.Sum(x => (x - ma) * (x - ma)) * b.Sum(x => (x - mb) * (x - mb)));
    }

    // --- Faithfulness ---

    [Fact]
    public void PixelFlipping()
    {
        // f = x1 + x2 + x3 + x4 at x = (1, 2, 3, 4); removing 4, then 3, 2, 1 (to 0) leaves 6, 3, 1, 0.
        var explain = Explain(Linear(1, 1, 1, 1)).For(Target.None);
        var x = Row(1, 2, 3, 4);
        var metric = FluentAttrib.PixelFlipping.Default.Softmax(false).Substrate(0.0);
        Assert.Equal([6.0, 3, 1, 0], Values(explain.Evaluate(metric, x, x)));
        Assert.Equal(4.5 + 2 + 0.5, explain.Evaluate(metric.ReturnAuc(), x, x).item<double>(), 12);
        Assert.Equal([3.0, 0], Values(explain.Evaluate(metric.FeaturesPerStep(2), x, x)));
        // Reversed attribution: 1 goes first.
        Assert.Equal([9.0, 7, 4, 0], Values(explain.Evaluate(metric, x, -x)));
    }

    /// <summary>A 4×4 image whose 2×2 patches hold 4, 3, 2, 1 (row-major patches), f = the sum of the pixels = 40.</summary>
    private static Tensor PatchImage()
    {
        var x = zeros(1, 1, 4, 4, dtype: ScalarType.Float64);
        x[0, 0, ..2, ..2] = 4;
        x[0, 0, ..2, 2..] = 3;
        x[0, 0, 2.., ..2] = 2;
        x[0, 0, 2.., 2..] = 1;
        return x;
    }

    [Fact]
    public void RegionPerturbation()
    {
        var explain = Explain(Linear(Enumerable.Repeat(1.0, 16).ToArray())).For(Target.None);
        var x = PatchImage();
        var metric = FluentAttrib.RegionPerturbation.PatchSize(2).Regions(4).Softmax(false).Substrate(0.0);
        // Most relevant first: the patches of 16, 12, 8, 4 go in turn; drops 16, 28, 36, 40.
        Assert.Equal([16.0, 28, 36, 40], Values(explain.Evaluate(metric, x, x)));
        Assert.Equal([4.0, 12, 24, 40], Values(explain.Evaluate(metric.Order(PerturbationOrder.LeastRelevantFirst), x, x)));
        Assert.Equal([16.0, 28], Values(explain.Evaluate(metric.Regions(2), x, x)));
    }

    [Fact]
    public void Selectivity()
    {
        var explain = Explain(Linear(Enumerable.Repeat(1.0, 16).ToArray())).For(Target.None);
        var x = PatchImage();
        // The score after each patch, most relevant first: 40 − 16, − 12, − 8, − 4.
        Assert.Equal([24.0, 12, 4, 0], Values(explain.Evaluate(FluentAttrib.Selectivity.PatchSize(2).Softmax(false).Substrate(0.0), x, x)));
    }

    [Fact]
    public void MonotonicityCorrelation()
    {
        // f = (1, 2, 3, 4)·x at x = 1: removing feature i alone changes f by w_i, v_i = w_i² / f² grows with w_i.
        var explain = Explain(Linear(1, 2, 3, 4)).For(Target.None);
        var x = Row(1, 1, 1, 1);
        var metric = FluentAttrib.MonotonicityCorrelation.Default.Softmax(false).Substrate(0.0);
        Assert.Equal(1.0, explain.Evaluate(metric, x, Row(1, 2, 3, 4)).item<double>(), 12);
        Assert.Equal(-1.0, explain.Evaluate(metric, x, Row(4, 3, 2, 1)).item<double>(), 12);
    }

    [Fact]
    public void FaithfulnessEstimate()
    {
        // Each feature alone removed: drops w_i = (1, 2, 3, 4); Pearson with the attribution.
        var explain = Explain(Linear(1, 2, 3, 4)).For(Target.None);
        var x = Row(1, 1, 1, 1);
        var metric = FluentAttrib.FaithfulnessEstimate.Default.Substrate(0.0);
        Assert.Equal(1.0, explain.Evaluate(metric, x, Row(1, 2, 3, 4)).item<double>(), 12);
        Assert.Equal(-1.0, explain.Evaluate(metric, x, Row(4, 3, 2, 1)).item<double>(), 12);
        Assert.Equal(Pearson([1, 4, 9, 16], [1, 2, 3, 4]), explain.Evaluate(metric, x, Row(1, 4, 9, 16)).item<double>(), 12);
        // Two per step: groups {4, 3} and {2, 1} by attribution drop 7 and 3; two points correlate perfectly.
        Assert.Equal(1.0, explain.Evaluate(metric.FeaturesPerStep(2), x, Row(1, 4, 9, 16)).item<double>(), 12);
    }

    [Fact]
    public void FaithfulnessCorrelation()
    {
        // For f = w·x and substrate 0, removing a subset drops f by Σ_S w_i x_i: the exact contributions correlate
        // perfectly with every subset's drop, their negatives anti-correlate.
        var w = new double[] { 1, -2, 3, 0.5, -1, 2, 4, -3 };
        var explain = Explain(Linear(w)).For(Target.None);
        var x = tensor(new double[] { 1, 2, 3, 4, 5, 6, 7, 8, 2, 1, 2, 1, 2, 1, 2, 1 }).reshape(2, 8);
        var exact = x * tensor(w);
        var metric = FluentAttrib.FaithfulnessCorrelation.Samples(12).SubsetSize(3).Substrate(0.0).Seed(4);
        Assert.All(Values(explain.Evaluate(metric, x, exact)), r => Assert.Equal(1.0, r, 9));
        Assert.All(Values(explain.Evaluate(metric, x, -exact)), r => Assert.Equal(-1.0, r, 9));
    }

    [Fact]
    public void Irof()
    {
        // f = the pixel sum of [[4, 3], [2, 1]] = 10; one segment per pixel, most relevant first, substrate 0:
        // f = 6, 3, 1, 0, ratios 0.6, 0.3, 0.1, 0; area over the curve 4 − (0.45 + 0.2 + 0.05) = 3.3.
        var explain = Explain(Linear(1, 1, 1, 1)).For(Target.None);
        var x = Image(4, 3, 2, 1);
        var metric = FluentAttrib.Irof.Default.Softmax(false).Substrate(0.0);
        Assert.Equal(3.3, explain.Evaluate(metric, x, x).item<double>(), 12);
        // Two segments, the columns: left (mean attribution 3) first leaves 4, ratios 0.4, 0; 2 − 0.2 = 1.8.
        var columns = tensor(new long[] { 0, 1, 0, 1 }).reshape(1, 1, 2, 2);
        Assert.Equal(1.8, explain.Evaluate(metric.Mask(columns), x, x).item<double>(), 12);
    }

    [Fact]
    public void PatchInfidelity()
    {
        // f = (1, 2, 3, 4)·x at x = 1, 1×1 patches replaced cumulatively by 0 in row-major order: drops 1, 3, 6, 10.
        // The exact attribution w predicts every drop (infidelity 0); 2w predicts twice each: mean of d² = 36.5.
        var explain = Explain(Linear(1, 2, 3, 4)).For(Target.None);
        var x = Image(1, 1, 1, 1);
        var metric = FluentAttrib.PatchInfidelity.Default.PatchSizes(1).Substrate(0.0);
        Assert.Equal(0.0, explain.Evaluate(metric, x, Image(1, 2, 3, 4)).item<double>(), 12);
        Assert.Equal(36.5, explain.Evaluate(metric, x, Image(2, 4, 6, 8)).item<double>(), 12);
        // Patch size 2: one patch, drop 10 against Σ 2w = 20: (10 − 20)² = 100; averaged with size 1: (36.5 + 100) / 2.
        Assert.Equal(68.25, explain.Evaluate(metric.PatchSizes(1, 2), x, Image(2, 4, 6, 8)).item<double>(), 12);
    }

    // --- Complexity ---

    [Fact]
    public void Sparseness()
    {
        // Gini of a one-hot map of n = 4: (n − 1) / n; of a flat map: 0.
        var explain = Explain(Linear(1, 1, 1, 1)).For(Target.None);
        var x = Image(1, 1, 1, 1);
        Assert.Equal(0.75, explain.Evaluate(FluentAttrib.Sparseness.Default, x, Image(0, 0, 5, 0)).item<double>(), 6);
        Assert.Equal(0.0, explain.Evaluate(FluentAttrib.Sparseness.Default, x, Image(2, 2, 2, 2)).item<double>(), 12);
        // (0, 1, 1, 2) ascending: Σ (2i − 5)·v_i / (4·4) = (−1 + 1 + 6) / 16.
        Assert.Equal(6.0 / 16, explain.Evaluate(FluentAttrib.Sparseness.Default, x, Image(1, 0, 2, 1)).item<double>(), 6);
    }

    [Fact]
    public void Complexity()
    {
        // Entropy of the shares: ln 4 for a flat map, 0 for a one-hot map, ln 2 for two equal values.
        var explain = Explain(Linear(1, 1, 1, 1)).For(Target.None);
        var x = Image(1, 1, 1, 1);
        Assert.Equal(Math.Log(4), explain.Evaluate(FluentAttrib.Complexity.Default, x, Image(3, 3, 3, 3)).item<double>(), 9);
        Assert.Equal(0.0, explain.Evaluate(FluentAttrib.Complexity.Default, x, Image(0, 7, 0, 0)).item<double>(), 9);
        Assert.Equal(Math.Log(2), explain.Evaluate(FluentAttrib.Complexity.Default, x, Image(0, -7, 7, 0)).item<double>(), 9);
    }

    [Fact]
    public void EffectiveComplexity()
    {
        // Values strictly above the threshold: 0.5 and 0.35 above 0.3; 0.3 itself is not.
        var explain = Explain(Linear(1, 1, 1, 1)).For(Target.None);
        var metric = FluentAttrib.EffectiveComplexity.Threshold(0.3).Normalization(AttributionNormalization.None);
        var count = explain.Evaluate(metric, Image(1, 1, 1, 1), Image(0.5, 0.1, 0.35, 0.3));
        Assert.Equal(ScalarType.Int64, count.dtype);
        Assert.Equal(2L, count.item<long>());
        Assert.Equal(3L, explain.Evaluate(metric, Image(1, 1, 1, 1), Image(0.5, -0.9, 0.35, 0.3)).item<long>()); // absolute by default
    }

    // --- Localisation: attribution [[1, 2], [3, 4]] ---

    private static readonly TargetedExplainer Localise = Explain(Linear(1, 1, 1, 1)).For(Target.None);
    private static Tensor Mask(params long[] s) => tensor(s).reshape(1, 1, 2, 2);

    [Fact]
    public void PointingGame()
    {
        var a = Image(0, 1, 0.5, 0);
        Assert.True(Localise.Evaluate(FluentAttrib.PointingGame.Default, a, a, Mask(0, 1, 0, 0)).item<bool>());
        Assert.False(Localise.Evaluate(FluentAttrib.PointingGame.Default, a, a, Mask(1, 0, 1, 0)).item<bool>());
    }

    [Fact]
    public void RelevanceMassAccuracy()
    {
        var a = Image(1, 2, 3, 4);
        Assert.Equal(0.6, Localise.Evaluate(FluentAttrib.RelevanceMassAccuracy.Default, a, a, Mask(0, 1, 0, 1)).item<double>(), 12);
        Assert.Equal(0.3, Localise.Evaluate(FluentAttrib.RelevanceMassAccuracy.Default, a, a, Mask(1, 1, 0, 0)).item<double>(), 12);
    }

    [Fact]
    public void RelevanceRankAccuracy()
    {
        // K = 2: the top two positions hold 4 and 3.
        var a = Image(1, 2, 3, 4);
        Assert.Equal(0.5, Localise.Evaluate(FluentAttrib.RelevanceRankAccuracy.Default, a, a, Mask(0, 1, 0, 1)).item<double>(), 12);
        Assert.Equal(1.0, Localise.Evaluate(FluentAttrib.RelevanceRankAccuracy.Default, a, a, Mask(0, 0, 1, 1)).item<double>(), 12);
        Assert.Equal(0.0, Localise.Evaluate(FluentAttrib.RelevanceRankAccuracy.Default, a, a, Mask(1, 1, 0, 0)).item<double>(), 12);
    }

    [Fact]
    public void TopKIntersection()
    {
        var a = Image(1, 2, 3, 4);
        var top2 = FluentAttrib.TopKIntersection.Default.TopK(2);
        Assert.Equal(0.5, Localise.Evaluate(top2, a, a, Mask(0, 1, 0, 1)).item<double>(), 12);
        Assert.Equal(1.0, Localise.Evaluate(top2.ScaleByMaskSize(), a, a, Mask(0, 1, 0, 1)).item<double>(), 12); // × 4 positions / 2
        Assert.Equal(1.0, Localise.Evaluate(top2.TopK(1), a, a, Mask(0, 0, 0, 1)).item<double>(), 12);
    }

    [Fact]
    public void AttributionLocalisation()
    {
        var a = Image(-1, 2, 3, 4);
        var metric = FluentAttrib.AttributionLocalisation.Default;
        Assert.Equal(0.6, Localise.Evaluate(metric, a, a, Mask(0, 1, 0, 1)).item<double>(), 8);                       // |a|: 6 / 10
        Assert.Equal(6.0 / 9, Localise.Evaluate(metric.Absolute(false).KeepPositive(), a, a, Mask(0, 1, 0, 1)).item<double>(), 8);
        // Weighted by the mask's share of one example's positions (2 of 4), the paper's ratio.
        Assert.Equal(0.3, Localise.Evaluate(metric.WeightByMaskSize().QuantusQuirks(false), a, a, Mask(0, 1, 0, 1)).item<double>(), 8);
    }

    [Fact]
    public void RocAuc()
    {
        // Inside {2, 4}, outside {1, 3}: 3 of the 4 pairs rank the inside higher; the complement gets the rest.
        var a = Image(1, 2, 3, 4);
        Assert.Equal(0.75, Localise.Evaluate(FluentAttrib.RocAuc.Default, a, a, Mask(0, 1, 0, 1)).item<double>(), 12);
        Assert.Equal(0.25, Localise.Evaluate(FluentAttrib.RocAuc.Default, a, a, Mask(1, 0, 1, 0)).item<double>(), 12);
        Assert.Equal(1.0, Localise.Evaluate(FluentAttrib.RocAuc.Default, a, a, Mask(0, 0, 1, 1)).item<double>(), 12);
    }

    [Fact]
    public void Focus()
    {
        // A 4×4 mosaic: 1 on each top-left pixel, 0.5 on each bottom-right pixel, −1 on the top-right ones (ignored).
        var a = zeros(1, 1, 4, 4, dtype: ScalarType.Float64);
        a[0, 0, ..2, ..2] = 1;
        a[0, 0, 2.., 2..] = 0.5;
        a[0, 0, ..2, 2..] = -1;
        double Score(params long[] flags) => Localise.Evaluate(FluentAttrib.Focus.Default, a, a, tensor(flags).reshape(1, 4)).item<double>();
        Assert.Equal(1.0, Score(1, 0, 0, 1), 8);
        Assert.Equal(4.0 / 6, Score(1, 0, 0, 0), 8);
        Assert.Equal(0.0, Score(0, 1, 1, 0), 8);
    }

    // --- Axiomatic ---

    [Fact]
    public void NonSensitivity()
    {
        // f = (1, 0, 2, 0)·x: features 1 and 3 do not matter, 0 and 2 do.
        var explain = Explain(Linear(1, 0, 2, 0)).For(Target.None);
        var x = Row(1, 1, 1, 1);
        var metric = FluentAttrib.NonSensitivity.Default.Softmax(false).Substrate(0.0);
        Assert.Equal(0L, explain.Evaluate(metric, x, Row(1, 0, 2, 0)).item<long>());
        Assert.Equal(2L, explain.Evaluate(metric, x, Row(1, 1, 0, 0)).item<long>()); // 1 attributed but idle, 2 matters but unattributed
        Assert.Equal(4L, explain.Evaluate(metric, x, Row(0, 1, 0, 1)).item<long>());
    }

    [Fact]
    public void Completeness()
    {
        // f = (1, 2, 3)·x at x = (1, 1, 2): f(x) − f(0) = 9 = Σ of the exact contributions (1, 2, 6).
        var explain = Explain(Linear(1, 2, 3)).For(Target.None);
        var x = Row(1, 1, 2);
        var metric = FluentAttrib.Completeness.Default.Normalization(AttributionNormalization.None).Substrate(0.0);
        Assert.True(explain.Evaluate(metric, x, Row(1, 2, 6)).item<bool>());
        Assert.True(explain.Evaluate(metric, x, Row(9, 0, 0)).item<bool>());
        Assert.False(explain.Evaluate(metric, x, Row(2, 4, 12)).item<bool>());
        // The minimum substrate (1): f(x) − f(1, 1, 1) = 3.
        Assert.True(explain.Evaluate(metric.Substrate(Substrate.Minimum), x, Row(0, 0, 3)).item<bool>());
        // Exact by default: 9.001 is not 9; within Threshold(0.01) it counts, within Threshold(0.0001) it does not.
        Assert.False(explain.Evaluate(metric, x, Row(9.001, 0, 0)).item<bool>());
        Assert.True(explain.Evaluate(metric.Threshold(0.01), x, Row(9.001, 0, 0)).item<bool>());
        Assert.False(explain.Evaluate(metric.Threshold(0.0001), x, Row(9.001, 0, 0)).item<bool>());
        Assert.Equal(0, FluentAttrib.Completeness.Default.Settings.Threshold);
    }

    [Fact]
    public void InputInvariance()
    {
        // A conv layer followed by linear layers: the gradient does not depend on the input, so Saliency is invariant
        // to a shift absorbed by the first layer's bias; InputXGradient multiplies by the shifted input, so it is not.
        manual_seed(2);
        var model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(2 * 4 * 4, 3));
        model.to(ScalarType.Float64).eval();
        var x = rand(2, 1, 6, 6, dtype: ScalarType.Float64);
        var target = Target.PerExample(0, 2);
        var metric = FluentAttrib.InputInvariance.Default.QuantusQuirks(false);
        var saliency = Explain(model).For(target).With(Saliency.Signed);
        Assert.Equal([true, true], saliency.Evaluate(metric, x, saliency.Attribute(x).Value).data<bool>().ToArray());
        var ixg = Explain(model).For(target).With(InputXGradient.Default);
        Assert.Equal([false, false], ixg.Evaluate(metric, x, ixg.Attribute(x).Value).data<bool>().ToArray());
    }

    // --- Robustness ---

    /// <summary>f(x) = ½ Σ x²: Saliency (signed) is x itself, so the explanation of x + u is x + u.</summary>
    private static readonly Func<Tensor, Tensor> HalfSquare = x => (x * x).sum([1L], keepdim: true) * 0.5;

    /// <summary>‖u‖ / ‖x‖ for the draws the metric makes (the seeded generator, one uniform draw per sample).</summary>
    private static double[][] Ratios(Tensor x, double radius, int samples, long seed)
    {
        using var g = new Generator((ulong)seed, x.device);
        var ratios = new double[x.shape[0]][];
        for (int b = 0; b < x.shape[0]; b++) ratios[b] = new double[samples];
        for (int s = 0; s < samples; s++)
        {
            var u = empty_like(x).uniform_(-radius, radius, g);
            for (int b = 0; b < x.shape[0]; b++)
                ratios[b][s] = u[b].norm().item<double>() / x[b].norm().item<double>();
        }
        return ratios;
    }

    [Fact]
    public void MaxSensitivity()
    {
        var x = tensor(new double[] { 1, 2, 3, 4, -1, 0.5, 2, 1 }).reshape(2, 4);
        var run = Explain(HalfSquare).For(Target.None).With(Saliency.Signed);
        var scores = Values(run.Evaluate(FluentAttrib.MaxSensitivity.Samples(5).Radius(0.3).Seed(9), x, x.clone()));
        var expected = Ratios(x, 0.3, 5, 9).Select(r => r.Max()).ToArray();
        for (int b = 0; b < 2; b++) Assert.Equal(expected[b], scores[b], 10);
        // A linear model's gradient does not move at all.
        var linear = Explain(Linear(1, -2, 3, 0.5)).For(Target.None).With(Saliency.Signed);
        Assert.Equal([0.0, 0.0], Values(linear.Evaluate(FluentAttrib.MaxSensitivity.Samples(3).Seed(1), x, linear.Attribute(x).Value)));
    }

    [Fact]
    public void AvgSensitivity()
    {
        var x = tensor(new double[] { 1, 2, 3, 4, -1, 0.5, 2, 1 }).reshape(2, 4);
        var run = Explain(HalfSquare).For(Target.None).With(Saliency.Signed);
        var scores = Values(run.Evaluate(FluentAttrib.AvgSensitivity.Samples(5).Radius(0.3).Seed(9), x, x.clone()));
        var expected = Ratios(x, 0.3, 5, 9).Select(r => r.Average()).ToArray();
        for (int b = 0; b < 2; b++) Assert.Equal(expected[b], scores[b], 10);
    }

    // --- Randomisation ---

    [Fact]
    public void RandomLogit()
    {
        // A linear 3-class model: Saliency of class k is row k of the weights, whatever the input. Rows 0 and 1 are
        // reversed (Pearson −1), row 2 is twice row 0 (Pearson 1).
        var model = nn.Linear(4, 3, hasBias: false);
        model.to(ScalarType.Float64).eval();
        using (no_grad()) model.weight!.copy_(tensor(new double[] { 1, 2, 3, 4, 4, 3, 2, 1, 2, 4, 6, 8 }).reshape(3, 4));
        var x = randn(1, 4, dtype: ScalarType.Float64);
        var run = Explain(model).For(Target.PerExample(0)).With(Saliency.Signed);
        var a = run.Attribute(x).Value;
        var metric = FluentAttrib.RandomLogit.Default.Similarity(Similarity.Pearson);
        Assert.Equal(-1.0, run.Evaluate(metric.Classes(2), x, a).item<double>(), 12); // the other class can only be 1
        for (int seed = 0; seed < 6; seed++)
        {
            double score = run.Evaluate(metric.Classes(3).Seed(seed), x, a).item<double>();
            Assert.True(Math.Abs(Math.Abs(score) - 1) < 1e-12, $"seed {seed}: {score}"); // class 1 or 2, never 0
        }
        Assert.Equal("target", Assert.Throws<ArgumentException>(() => Explain(model).For(Target.PerExample(2)).With(Saliency.Signed).Evaluate(metric.Classes(2), x, a)).ParamName);
    }
}
