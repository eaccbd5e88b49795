using TorchSharp;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Metrics;

/// <summary>Analytic and safety tests of the evaluation metrics beyond the Quantus golden cases.</summary>
public class EvaluationMetricsTests
{
    /// <summary>f(x) = w·x, one output per example; float64.</summary>
    private static (nn.Module<Tensor, Tensor> Model, Tensor W) Linear(int features, long seed)
    {
        manual_seed(seed);
        var model = nn.Linear(features, 1, hasBias: false);
        model.to(ScalarType.Float64);
        model.eval();
        return (model, model.weight!.detach().reshape(-1).clone());
    }

    private static Tensor Permuted(Tensor a, Generator g)
    {
        var perm = randperm(a.shape[1], generator: g);
        return a.index_select(1, perm);
    }

    [Fact]
    public void Deletion_of_a_linear_model_is_lowest_for_its_exact_attribution()
    {
        var (model, w) = Linear(10, 1);
        var x = randn(3, 10, dtype: ScalarType.Float64);
        var exact = x * w; // the exact contributions: removing a feature changes f by exactly its contribution
        var metric = Deletion.Default.Softmax(false);
        var explain = Explain(model).For(Target.None);
        var best = explain.Evaluate(metric, x, exact);
        Assert.Equal([3L], best.shape);
        using var g = new Generator(7);
        for (int trial = 0; trial < 20; trial++)
        {
            var other = explain.Evaluate(metric, x, Permuted(exact, g));
            Assert.True((best <= other + 1e-12).all().item<bool>(), $"trial {trial}: {best} vs {other}");
        }
        // The curve starts at f(x) and ends at f(substrate) = 0; its mean trapezoid is the returned area.
        var curve = explain.Evaluate(metric.ReturnAuc(false), x, exact);
        Assert.Equal([3L, 11L], curve.shape);
        Assert.True(allclose(curve[.., 0], model.call(x).reshape(-1)));
        Assert.True(allclose(curve[.., -1], zeros(3, dtype: ScalarType.Float64)));
        var trapezoid = (curve[.., 1..].sum([1L]) + curve[.., ..^1].sum([1L])) / 2 / 10;
        Assert.True(allclose(trapezoid, best));
    }

    [Fact]
    public void Insertion_of_a_linear_model_is_highest_for_its_exact_attribution()
    {
        var (model, w) = Linear(12, 2);
        var x = randn(2, 12, dtype: ScalarType.Float64);
        var exact = x * w;
        var metric = Insertion.Default.Softmax(false).Substrate(0.0).FeaturesPerStep(2);
        var explain = Explain(model).For(Target.None);
        var best = explain.Evaluate(metric, x, exact);
        using var g = new Generator(3);
        for (int trial = 0; trial < 20; trial++)
            Assert.True((best >= explain.Evaluate(metric, x, Permuted(exact, g)) - 1e-12).all().item<bool>());
        var curve = explain.Evaluate(metric.ReturnAuc(false), x, exact);
        Assert.Equal([2L, 7L], curve.shape); // 12 features, 2 per step: 6 steps + the start
        Assert.True(allclose(curve[.., -1], model.call(x).reshape(-1)));
    }

    [Fact]
    public void Deletion_on_images_removes_whole_pixels_and_blur_is_a_valid_substrate()
    {
        manual_seed(3);
        var model = nn.Sequential(nn.Conv2d(3, 4, 3, padding: 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2));
        model.to(ScalarType.Float64).eval();
        var x = rand(2, 3, 8, 8, dtype: ScalarType.Float64);
        var a = rand(2, 1, 8, 8, dtype: ScalarType.Float64);
        var explain = Explain(model).For(Target.PerExample(0, 1));
        var curve = explain.Evaluate(Deletion.FeaturesPerStep(16).ReturnAuc(false), x, a);
        Assert.Equal([2L, 5L], curve.shape); // 64 pixels, 16 per step
        // A (B, 3, H, W) attribution whose channel sum equals a ranks the pixels alike.
        var spread = a.expand(2, 3, 8, 8) / 3;
        Assert.True(allclose(curve, explain.Evaluate(Deletion.FeaturesPerStep(16).ReturnAuc(false), x, spread)));
        var insertion = explain.Evaluate(Insertion.FeaturesPerStep(16).ReturnAuc(false), x, a);
        var blurredScore = explain.Evaluate(Insertion.FeaturesPerStep(64).ReturnAuc(false), x, a)[.., 0];
        Assert.True(allclose(insertion[.., 0], blurredScore));
        Assert.True(allclose(insertion[.., -1], nn.functional.softmax(model.call(x), 1).gather(1, tensor(new long[] { 0, 1 }).unsqueeze(1)).squeeze(1)));
    }

    [Fact]
    public void Randomising_every_layer_drives_the_rank_correlation_towards_zero_and_leaves_the_model_untouched()
    {
        manual_seed(5);
        var model = nn.Sequential(nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 3));
        model.to(ScalarType.Float64).eval();
        var x = randn(6, 64, dtype: ScalarType.Float64);
        var before = model.parameters().Select(p => p.detach().clone()).ToArray();
        var y = model.call(x).detach().clone();
        var run = Explain(model).For(Target.PerExample(0, 1, 2, 0, 1, 2)).With(Saliency.Signed);
        var a = run.Attribute(x).Value;
        var scores = run.Evaluate(ModelParameterRandomisation.Default.Absolute(false), x, a);
        Assert.Equal([6L, 3L], scores.shape);
        Assert.Equal(["4", "2", "0"], ModelParameterRandomisation.Layers(model));
        // Everything randomised (last column): no rank correlation left; one layer randomised keeps some.
        double last = scores[.., 2].abs().mean().item<double>();
        Assert.True(last < 0.25, $"mean |rank correlation| with every layer randomised: {last}");
        // LastOnly explains the fully randomised model once: the cascade's end point.
        var lastOnly = run.Evaluate(ModelParameterRandomisation.Default.Absolute(false).LastOnly(), x, a);
        Assert.Equal([6L, 1L], lastOnly.shape);
        Assert.True(allclose(lastOnly[.., 0], scores[.., 2]));
        var independent = run.Evaluate(ModelParameterRandomisation.Default.Absolute(false).Cascade(false), x, a);
        Assert.Equal([6L, 3L], independent.shape);
        // The model is untouched: parameters and outputs as before, no hook left behind.
        foreach (var (p, q) in model.parameters().Zip(before)) Assert.True((p == q).all().item<bool>());
        Assert.True((model.call(x) == y).all().item<bool>());
        // Explaining the unchanged model again gives similarity 1 with the attribution (the sanity of the comparison).
        var same = run.Attribute(x).Value;
        Assert.True(allclose(same, a));
    }

    [Fact]
    public void Monotonicity_reproduces_Quantus_by_default_and_checks_the_paper_when_asked()
    {
        // f = w·x with w > 0 and x > 0: putting features back only increases f; with w < 0 it decreases.
        var model = nn.Linear(5, 1, hasBias: false);
        model.to(ScalarType.Float64).eval();
        using (no_grad()) model.weight!.copy_(tensor(new double[] { 1, 2, 3, 4, 5 }).reshape(1, 5));
        var x = tensor(new double[] { 1, 2, 3, 4, 5, 5, 4, 3, 2, 1 }).reshape(2, 5);
        var a = x.clone();
        var explain = Explain(model).For(Target.None);
        var sound = Monotonicity.Default.Softmax(false).Substrate(0.0).QuantusQuirks(false);
        Assert.Equal(new[] { true, true }, explain.Evaluate(sound, x, a).data<bool>().ToArray());
        using (no_grad()) model.weight!.neg_();
        Assert.Equal(new[] { false, false }, explain.Evaluate(sound, x, a).data<bool>().ToArray());
        Assert.Equal(new[] { true, true }, explain.Evaluate(Monotonicity.Default.Softmax(false).Substrate(0.0), x, a).data<bool>().ToArray());
    }

    [Fact]
    public void Road_least_relevant_first_keeps_the_prediction_longer_than_most_relevant_first()
    {
        manual_seed(11);
        // A model that looks only at the left half: attribution on the left half is the faithful one.
        var model = nn.Sequential(nn.Flatten(), nn.Linear(64, 2));
        model.to(ScalarType.Float64).eval();
        using (no_grad())
        {
            var w = zeros(2, 1, 8, 8, dtype: ScalarType.Float64);
            w[0, 0, .., ..4] = 1;
            w[1, 0, .., ..4] = -1;
            model.parameters().First().copy_(w.reshape(2, 64));
            model.parameters().Last().copy_(tensor(new double[] { 0, 32 })); // class 0 wins while the left half sums to more than 16
        }
        var x = zeros(1, 1, 8, 8, dtype: ScalarType.Float64);
        x[0, 0, .., ..4] = 1; // class 0
        var a = x.clone();
        var explain = Explain(model).For(Target.PerExample(0));
        var road = Road.Default.StdDev(0).Percentages(10, 30, 50, 70, 90);
        var morf = explain.Evaluate(road, x, a);
        var lerf = explain.Evaluate(road.Order(PerturbationOrder.LeastRelevantFirst), x, a);
        Assert.Equal([1L, 5L], morf.shape);
        string Show(Tensor t) => string.Join(",", t.data<double>().ToArray());
        Assert.True(lerf.sum().item<double>() > morf.sum().item<double>(), $"LeRF {Show(lerf)} MoRF {Show(morf)}");
        Assert.Equal(1.0, lerf[0, 0].item<double>());
        Assert.Equal("target", Assert.Throws<ArgumentException>(() => Explain(model).For(Target.None).Evaluate(road, x, a)).ParamName);
    }

    [Fact]
    public void Bad_arguments_name_the_argument()
    {
        var (model, _) = Linear(4, 3);
        var x = randn(2, 4, dtype: ScalarType.Float64);
        var explain = Explain(model).For(Target.None);
        Assert.Equal("attribution", Assert.Throws<ArgumentException>(() => explain.Evaluate(PixelFlipping.Default, x, randn(3, 4))).ParamName);
        Assert.Equal("attribution", Assert.Throws<ArgumentException>(() => explain.Evaluate(PixelFlipping.Default, x, randn(2, 5))).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => explain.Evaluate(RegionPerturbation.Default, x, x)).ParamName);
        Assert.Equal("groundTruth", Assert.Throws<ArgumentException>(() => explain.Evaluate(PointingGame.Default, x, x, ones(2, 7, dtype: ScalarType.Int64))).ParamName);
        Assert.Equal("features", Assert.Throws<ArgumentOutOfRangeException>(() => PixelFlipping.FeaturesPerStep(0)).ParamName);
        Assert.Equal("percentages", Assert.Throws<ArgumentException>(() => Road.Default.Percentages(100)).ParamName);
        Assert.Equal("k", Assert.Throws<ArgumentOutOfRangeException>(() => TopKIntersection.Default.TopK(0)).ParamName);
    }

    [Fact]
    public void Metrics_report_progress_and_stop_when_cancelled()
    {
        var (model, w) = Linear(16, 4);
        var x = randn(4, 16, dtype: ScalarType.Float64);
        var reports = new List<AttributionProgress>();
        var run = Explain(model).For(Target.None).With(Saliency.Signed).WithProgress(new SyncProgress(reports.Add));
        run.Evaluate(PixelFlipping.Default.Softmax(false).InternalBatchSize(8), x, x * w);
        Assert.Equal(8, reports.Count); // 64 rows, 8 per pass
        Assert.Equal(8, reports[^1].Completed);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() => run.WithCancellation(cts.Token).Evaluate(PixelFlipping.Default, x, x * w));
    }

    [Fact]
    public void Settings_are_values_read_back_by_the_setters_names()
    {
        var m = PixelFlipping.FeaturesPerStep(4).Substrate(Substrate.Mean).Normalization(AttributionNormalization.None).Absolute().Softmax(false).ReturnAuc();
        Assert.Equal(4, m.Settings.FeaturesPerStep);
        Assert.Equal(Substrate.Mean, m.Settings.Substrate);
        Assert.Equal(AttributionNormalization.None, m.Settings.Normalization);
        Assert.True(m.Settings.Absolute);
        Assert.False(m.Settings.Softmax);
        Assert.True(m.Settings.ReturnAuc);
        Assert.Equal(m, PixelFlipping.Default.ReturnAuc().Softmax(false).Absolute().Normalization(AttributionNormalization.None).Substrate(Substrate.Mean).FeaturesPerStep(4));
        Assert.Equal(Substrate.Constant(0.5), (Substrate)0.5);
        Assert.Equal(PerturbationOrder.LeastRelevantFirst, RegionPerturbation.PatchSize(4).Order(PerturbationOrder.LeastRelevantFirst).Settings.Order);
        Assert.Equal([4], RegionPerturbation.PatchSize(4).Settings.PatchSizes);
        Assert.Equal([2, 4], PatchInfidelity.Default.PatchSizes(2, 4).Settings.PatchSizes);
        Assert.False(ModelParameterRandomisation.Default.Cascade(false).Settings.Cascade);
        Assert.Contains("Deletion", Deletion.Default.ToString());
    }

    private sealed class SyncProgress(Action<AttributionProgress> report) : IProgress<AttributionProgress>
    {
        public void Report(AttributionProgress value) => report(value);
    }
}

public class ComparisonTests
{
    [Fact]
    public void The_report_ranks_the_exact_attribution_of_a_linear_model_first_by_deletion_and_insertion()
    {
        manual_seed(21);
        var model = nn.Linear(12, 3, hasBias: false);
        model.to(ScalarType.Float64).eval();
        var x = randn(8, 12, dtype: ScalarType.Float64);
        var target = Target.PerExample(0, 1, 2, 0, 1, 2, 0, 1);
        var progress = new List<AttributionProgress>();
        var report = Compare(model).For(target)
            .Methods(Saliency.Signed, InputXGradient.Default)
            .Metrics(Deletion.Default.Softmax(false).FeaturesPerStep(2), Insertion.Default.Softmax(false).Substrate(0.0).FeaturesPerStep(2), Sparseness.Default)
            .WithProgress(new Progress(progress.Add))
            .On(x);
        Assert.Equal(["Saliency(signed)", "InputXGradient"], report.Methods);
        Assert.Equal(3, report.Metrics.Count);
        Assert.False(report.HigherIsBetter(0));
        Assert.True(report.HigherIsBetter(1));
        Assert.Equal(1, report.MostFaithful(0)); // x·w is the exact contribution of each feature: the optimal deletion order
        Assert.Equal(1, report.MostFaithful(1));
        Assert.True(report.Mean(1, 0) < report.Mean(0, 0));
        Assert.Equal(8, report.Scores(0, 0).Count);
        Assert.Equal(7, report.Curve(1, 0)!.Count); // 12 features, 2 per step, plus the start
        Assert.Null(report.Curve(1, 2));
        Assert.True(report.StdDev(0, 0) > 0);
        Assert.Equal(2 * 4, progress.Count);
        // The report's area equals the metric's own result.
        var direct = Explain(model).For(target).Evaluate(Deletion.Default.Softmax(false).FeaturesPerStep(2), x, x * 1 * InputXGradientOf(model, x, target));
        Assert.Equal(direct.mean().item<double>(), report.Mean(1, 0), 12);
        string table = report.ToString();
        Assert.Contains("| method", table);
        Assert.Contains("Most faithful by Deletion(2 per step, 0): InputXGradient", table);
        Assert.Throws<ArgumentException>(() => Compare(model).For(target).Methods(Saliency.Signed).Metrics(PointingGame.Default).On(x));
        Assert.Throws<InvalidOperationException>(() => Compare(model).For(target).On(x));
    }

    private static Tensor InputXGradientOf(nn.Module<Tensor, Tensor> model, Tensor x, Target target) =>
        Explain(model).For(target).With(Saliency.Signed).Attribute(x).Value;

    private sealed class Progress(Action<AttributionProgress> report) : IProgress<AttributionProgress>
    {
        public void Report(AttributionProgress value) => report(value);
    }
}
