using FluentAttrib.Tests.Conformance;
using static FluentAttrib.Fluent;
using static FluentAttrib.Tests.Perturbation.PerturbationTestKit;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Perturbation;

public class ShapleyValueSamplingTests
{
    [Fact]
    public void Invalid_settings_are_rejected()
    {
        Assert.Equal("samples", Assert.Throws<ArgumentOutOfRangeException>(() => ShapleyValueSampling.Samples(0)).ParamName);
        Assert.Equal("samples", Assert.Throws<ArgumentOutOfRangeException>(() => ShapleyValueSampling.Default.Samples(-1)).ParamName);
        Assert.Equal("perturbations", Assert.Throws<ArgumentOutOfRangeException>(() => ShapleyValueSampling.Default.PerturbationsPerPass(0)).ParamName);
        var x = Data(1, ScalarType.Float64, 2, 6);
        var e = Assert.Throws<ArgumentException>(() =>
            Explain(Mlp()).For(0).With(ShapleyValueSampling.Default.Mask(zeros(1, 3, dtype: ScalarType.Int64))).Attribute(x));
        Assert.Equal("featureMask", e.ParamName);
    }

    [Fact]
    public void Defaults_are_captums()
    {
        var settings = ShapleyValueSampling.Default.Settings;
        Assert.Equal(25, settings.Samples);
        Assert.Equal(Defaults.ShapleyValueSamplingSamples, settings.Samples);
        Assert.Null(settings.Seed);
        Assert.Null(settings.Mask);
        Assert.Equal(Baselines.Zero, settings.Baseline);
        Assert.Null(settings.PerturbationsPerPass);
    }

    [Fact]
    public void Settings_are_read_back_by_the_setters_names()
    {
        var settings = ShapleyValueSampling.Samples(40).Samples(12).Seed(4).Baseline(0.5).PerturbationsPerPass(3).Settings;
        Assert.Equal(12, settings.Samples);
        Assert.Equal(4L, settings.Seed);
        Assert.Equal(Baselines.Scalar(0.5), settings.Baseline);
        Assert.Equal(3, settings.PerturbationsPerPass);
        Assert.Equal(ShapleyValueSampling.Samples(12), ShapleyValueSampling.Default.Samples(12));
    }

    [Fact]
    public void Every_sample_is_efficient()
    {
        // Each order telescopes from F(baseline) to F(input), so the attributions of the features sum to the gap.
        var model = Mlp();
        var x = Data(2, ScalarType.Float64, 3, 6);
        using var a = Explain(model).For(2).With(ShapleyValueSampling.Samples(3).Seed(5).Baseline(0.1)).Attribute(x);
        var full = Outputs(model, x, 2);
        var start = Outputs(model, full_like(x, 0.1), 2);
        for (long b = 0; b < 3; b++)
            Assert.Equal(full[b] - start[b], a.Value[b].sum().item<double>(), 12);
    }

    [Fact]
    public void Linear_model_gives_exact_values_for_any_seed()
    {
        var x = Data(3, ScalarType.Float64, 2, 5);
        var w = Data(4, ScalarType.Float64, 5);
        Func<Tensor, Tensor> model = u => (u * w).sum(dim: 1);
        foreach (long seed in new long[] { 0, 1, 2, 99 })
        {
            using var a = Explain(model).With(ShapleyValueSampling.Samples(2).Seed(seed).Baseline(-1.0)).Attribute(x);
            AssertClose((x + 1) * w, a.Value, atol: 1e-12);
        }
    }

    [Fact]
    public void Many_samples_approach_the_exact_values()
    {
        var model = Mlp();
        var x = Data(5, ScalarType.Float64, 2, 6);
        var mask = tensor(new long[] { 0, 0, 1, 1, 2, 2 }).reshape(1, 6);
        using var exact = Explain(model).For(0).With(ShapleyValues.Default.Mask(mask)).Attribute(x);
        using var sampled = Explain(model).For(0).With(ShapleyValueSampling.Samples(600).Mask(mask).Seed(3).PerturbationsPerPass(64)).Attribute(x);
        double scale = exact.Value.abs().max().item<double>();
        AssertClose(exact.Value, sampled.Value, atol: 0.1 * scale, rtol: 0);
    }

    [Fact]
    public void Same_seed_same_result_and_batching_does_not_change_it()
    {
        var model = Cnn();
        var x = Data(6, ScalarType.Float64, 2, 2, 6, 7);
        var mask = arange(42, dtype: ScalarType.Int64).reshape(1, 1, 6, 7).remainder(6);
        var method = ShapleyValueSampling.Samples(4).Mask(mask).Seed(11);
        using var one = Explain(model).For(1).With(method.PerturbationsPerPass(1)).Attribute(x);
        using var seven = Explain(model).For(1).With(method.PerturbationsPerPass(7)).Attribute(x);
        using var other = Explain(model).For(1).With(method.Seed(12)).Attribute(x);
        AssertClose(one.Value, seven.Value, atol: 1e-12);
        Assert.False((one.Value == other.Value).all().item<bool>());
    }

    [Fact]
    public void Float32_progress_and_cancellation()
    {
        var x = Data(7, ScalarType.Float32, 3, 6);
        var recorder = new Recorder();
        using var a = Explain(Mlp(ScalarType.Float32)).For(1).With(ShapleyValueSampling.Samples(2).Seed(1).PerturbationsPerPass(4)).WithProgress(recorder).Attribute(x);
        Assert.Equal(ScalarType.Float32, a.Value.dtype);
        Assert.Equal(4, recorder.Reports[^1].Total); // 1 + 2·6 perturbations in passes of 4
        Assert.Equal(4, recorder.Reports[^1].Completed);

        using var cts = new CancellationTokenSource();
        var cancelling = new Recorder(r => { if (r.Completed == 2) cts.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() =>
            Explain(Mlp(ScalarType.Float32)).For(1).With(ShapleyValueSampling.Samples(2).PerturbationsPerPass(4)).WithProgress(cancelling).WithCancellation(cts.Token).Attribute(x));
        Assert.Equal(2, cancelling.Reports.Count);
    }

    /// <summary>The stochastic reference cases hold for any RNG: run them with explicit seeds.</summary>
    [Theory]
    [InlineData("svs_lin_a")]
    [InlineData("svs_lin_a1_ppe3")]
    [InlineData("svs_lin_a_mask_base_ppe2")]
    [InlineData("fperm_mlp_a_batch2")]
    [InlineData("fperm_mlp_a_batch2_mask")]
    [InlineData("fperm_cnn_a_batch2_quad")]
    public void Analytic_reference_cases_hold_for_any_seed(string id)
    {
        var c = CaseFile.Load(id);
        var m = ModelBuilder.Build(c.Root.GetProperty("model"));
        var want = CaseFile.TensorsOf(c.Expected.GetProperty("attributions"));
        foreach (long seed in new long[] { 0, 1, 17, 123456789 })
        {
            AttributionMethod method = c.Algorithm == "ShapleyValueSampling"
                ? Runners.ShapleyValueSamplingOf(c).Seed(seed)
                : Runners.FeaturePermutationOf(c).Seed(seed);
            using var a = m.Explainer.For(c.Target()).With(method).Attribute(c.Inputs());
            for (int i = 0; i < want.Length; i++) AssertClose(want[i], a.Values[i], c.Atol, c.Rtol);
        }
    }
}
