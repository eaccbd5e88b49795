using static FluentAttrib.Fluent;
using static FluentAttrib.Tests.Perturbation.PerturbationTestKit;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Perturbation;

public class FeatureAblationTests
{
    /// <summary>F(x) − F(x with the elements of <paramref name="group"/> set to <paramref name="baseline"/>), by hand.</summary>
    private static double[] Drop(TorchSharp.Modules.Sequential model, Tensor x, long target, Func<long, long, bool> inGroup, double baseline)
    {
        var ablated = x.clone();
        for (long b = 0; b < x.shape[0]; b++)
            for (long j = 0; j < x.shape[1]; j++)
                if (inGroup(b, j)) ablated[b, j] = baseline;
        var full = Outputs(model, x, target);
        var outs = Outputs(model, ablated, target);
        return full.Zip(outs, (f, o) => f - o).ToArray();
    }

    [Fact]
    public void Non_positive_perturbations_per_eval_is_rejected()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => FeatureAblation.Default.PerturbationsPerPass(0));
        Assert.Equal("perturbations", e.ParamName);
    }

    [Fact]
    public void Null_settings_are_rejected()
    {
        Assert.Equal("mask", Assert.Throws<ArgumentNullException>(() => FeatureAblation.Default.Mask(null!)).ParamName);
        Assert.Equal("baseline", Assert.Throws<ArgumentNullException>(() => FeatureAblation.Default.Baseline(null!)).ParamName);
    }

    [Fact]
    public void Settings_are_read_back_by_the_setters_names()
    {
        var settings = FeatureAblation.Default.Settings;
        Assert.Null(settings.Mask);
        Assert.Equal(Baselines.Zero, settings.Baseline);
        Assert.Null(settings.PerturbationsPerPass);
        Assert.True(settings.Incremental);

        settings = FeatureAblation.Default.Baseline(0.25).PerturbationsPerPass(4).Incremental(false).Settings;
        Assert.Equal(Baselines.Scalar(0.25), settings.Baseline);
        Assert.Equal(4, settings.PerturbationsPerPass);
        Assert.False(settings.Incremental);
        Assert.True(FeatureAblation.Default.Baseline(0.25) == FeatureAblation.Default.Baseline(0.25));
        Assert.True(FeatureAblation.Default.Baseline(0.25) != FeatureAblation.Default.Baseline(0.5));
    }

    [Fact]
    public void Mask_that_does_not_broadcast_is_rejected()
    {
        var x = Data(1, ScalarType.Float64, 3, 6);
        var mask = tensor(new long[] { 0, 0, 1, 1 }).reshape(1, 4);
        var e = Assert.Throws<ArgumentException>(() => Explain(Mlp()).For(0).With(FeatureAblation.Default.Mask(mask)).Attribute(x));
        Assert.Equal("featureMask", e.ParamName);
        Assert.Contains("(1, 4)", e.Message);
        Assert.Contains("(3, 6)", e.Message);
    }

    [Fact]
    public void Wrong_number_of_masks_is_rejected()
    {
        var x = Data(1, ScalarType.Float64, 3, 6);
        var m = zeros(1, 6, dtype: ScalarType.Int64);
        var e = Assert.Throws<ArgumentException>(() =>
            Explain(Mlp()).For(0).With(FeatureAblation.Default.Mask(FeatureMask.PerInput(m, m))).Attribute(x));
        Assert.Equal("featureMask", e.ParamName);
    }

    [Fact]
    public void Baseline_that_does_not_broadcast_is_rejected()
    {
        var x = Data(1, ScalarType.Float64, 3, 6);
        var e = Assert.Throws<ArgumentException>(() =>
            Explain(Mlp()).For(0).With(FeatureAblation.Default.Baseline(zeros(1, 5, dtype: ScalarType.Float64))).Attribute(x));
        Assert.Equal("baselines", e.ParamName);
    }

    [Fact]
    public void Default_ablates_every_scalar()
    {
        var model = Mlp();
        var x = Data(2, ScalarType.Float64, 3, 6);
        using var a = Explain(model).For(1).With(FeatureAblation.Default.Baseline(-0.5)).Attribute(x);
        for (long j = 0; j < 6; j++)
        {
            var drop = Drop(model, x, 1, (_, c) => c == j, -0.5);
            for (long b = 0; b < 3; b++) Assert.Equal(drop[b], a.Value[b, j].item<double>(), 12);
        }
    }

    [Fact]
    public void Per_example_masks_group_each_example_separately()
    {
        var model = Mlp();
        var x = Data(3, ScalarType.Float64, 2, 6);
        long[,] ids = { { 0, 0, 1, 1, 2, 2 }, { 2, 1, 0, 2, 1, 0 } };
        var mask = tensor(new long[] { 0, 0, 1, 1, 2, 2, 2, 1, 0, 2, 1, 0 }).reshape(2, 6);
        using var a = Explain(model).For(Target.PerExample(0, 2)).With(FeatureAblation.Default.Mask(mask)).Attribute(x);
        for (long f = 0; f < 3; f++)
        {
            var drop0 = Drop(model, x, 0, (b, c) => ids[b, c] == f, 0)[0];
            var drop1 = Drop(model, x, 2, (b, c) => ids[b, c] == f, 0)[1];
            for (long j = 0; j < 6; j++)
            {
                if (ids[0, j] == f) Assert.Equal(drop0, a.Value[0, j].item<double>(), 12);
                if (ids[1, j] == f) Assert.Equal(drop1, a.Value[1, j].item<double>(), 12);
            }
        }
    }

    [Fact]
    public void A_feature_id_shared_by_two_inputs_is_ablated_together()
    {
        var p = Data(4, ScalarType.Float64, 2, 3);
        var q = Data(5, ScalarType.Float64, 2, 2);
        // F = (Σp)·(Σq): ablating p₀ and q₁ together is not the sum of ablating them apart.
        Func<Tensor, Tensor, Tensor> model = (u, v) => u.sum(dim: 1) * v.sum(dim: 1);
        var mp = tensor(new long[] { 0, 1, 1 }).reshape(1, 3);
        var mq = tensor(new long[] { 2, 0 }).reshape(1, 2);
        using var a = Explain(model).With(FeatureAblation.Default.Mask(FeatureMask.PerInput(mp, mq))).Attribute(p, q);
        var sp = p.sum(dim: 1);
        var sq = q.sum(dim: 1);
        var full = sp * sq;
        var f0 = full - (sp - p[.., 0]) * (sq - q[.., 1]);
        var f1 = full - (sp - p[.., 1] - p[.., 2]) * sq;
        var f2 = full - sp * (sq - q[.., 0]);
        AssertClose(stack([f0, f1, f1], 1), a.Values[0], atol: 1e-12);
        AssertClose(stack([f2, f0], 1), a.Values[1], atol: 1e-12);
    }

    [Fact]
    public void Batched_result_equals_unbatched()
    {
        var model = Cnn();
        var x = Data(6, ScalarType.Float64, 3, 2, 6, 7);
        var mask = arange(42, dtype: ScalarType.Int64).reshape(1, 1, 6, 7).div(5, rounding_mode: RoundingMode.floor);
        var method = FeatureAblation.Default.Mask(mask).Baseline(0.3);
        using var one = Explain(model).For(2).With(method.PerturbationsPerPass(1)).Attribute(x);
        using var seven = Explain(model).For(2).With(method.PerturbationsPerPass(7)).Attribute(x);
        using var auto = Explain(model).For(2).With(method).WithMemoryBudget(1 << 20).Attribute(x);
        AssertClose(one.Value, seven.Value, atol: 1e-12);
        AssertClose(one.Value, auto.Value, atol: 1e-12);
    }

    [Fact]
    public void Float32_model_gives_float32_attributions()
    {
        var x = Data(7, ScalarType.Float64, 3, 6);
        using var a64 = Explain(Mlp()).For(0).With(FeatureAblation.Default).Attribute(x);
        using var a32 = Explain(Mlp(ScalarType.Float32)).For(0).With(FeatureAblation.Default.PerturbationsPerPass(4)).Attribute(x.to(ScalarType.Float32));
        Assert.Equal(ScalarType.Float32, a32.Value.dtype);
        AssertClose(a64.Value, a32.Value, atol: 1e-5, rtol: 1e-4);
    }

    [Fact]
    public void Additional_arguments_are_expanded_with_the_batch()
    {
        var x = Data(8, ScalarType.Float64, 3, 4);
        var scale = Data(9, ScalarType.Float64, 3, 1);
        Func<Tensor, Tensor, Tensor> model = (u, s) => (u * s).sum(dim: 1);
        using var a = Explain(model).With(FeatureAblation.Default.PerturbationsPerPass(3)).WithAdditionalArguments(scale).Attribute(x);
        AssertClose(x * scale, a.Value, atol: 1e-12);
    }

    [Fact]
    public void Model_without_one_output_row_per_example_is_rejected()
    {
        var x = Data(10, ScalarType.Float64, 3, 4);
        Func<Tensor, Tensor> model = u => u.sum().reshape(1);
        var e = Assert.Throws<ArgumentException>(() => Explain(model).With(FeatureAblation.Default.PerturbationsPerPass(2)).Attribute(x));
        Assert.Equal("model", e.ParamName);
    }

    [Fact]
    public void Progress_reaches_the_total_and_cancellation_stops()
    {
        var x = Data(11, ScalarType.Float64, 2, 6);
        var recorder = new Recorder();
        using (Explain(Mlp()).For(0).With(FeatureAblation.Default.PerturbationsPerPass(3)).WithProgress(recorder).Attribute(x)) { }
        Assert.Equal(3, recorder.Reports[^1].Total); // 1 + 6 features in passes of 3
        Assert.Equal(recorder.Reports[^1].Total, recorder.Reports[^1].Completed);

        using var cts = new CancellationTokenSource();
        var cancelling = new Recorder(r => { if (r.Completed == 2) cts.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() =>
            Explain(Mlp()).For(0).With(FeatureAblation.Default.PerturbationsPerPass(1)).WithProgress(cancelling).WithCancellation(cts.Token).Attribute(x));
        Assert.Equal(2, cancelling.Reports.Count);
    }
}
