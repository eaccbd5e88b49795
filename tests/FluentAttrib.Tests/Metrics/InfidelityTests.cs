using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Metrics;

public class InfidelityTests
{
    [Fact]
    public void Invalid_settings_throw_when_built()
    {
        Assert.Equal("stdDev", Assert.Throws<ArgumentOutOfRangeException>(() => Infidelity.GaussianNoise(0)).ParamName);
        Assert.Equal("stdDev", Assert.Throws<ArgumentOutOfRangeException>(() => Infidelity.GaussianNoise(double.NaN)).ParamName);
        Assert.Equal("perturbation", Assert.Throws<ArgumentNullException>(() => Infidelity.Perturbation(null!)).ParamName);
        Assert.Equal("perturbation", Assert.Throws<ArgumentNullException>(() => Infidelity.MultiInputPerturbation(null!)).ParamName);
        var metric = Infidelity.GaussianNoise(0.1);
        Assert.Equal("samples", Assert.Throws<ArgumentOutOfRangeException>(() => metric.Samples(0)).ParamName);
        Assert.Equal("examples", Assert.Throws<ArgumentOutOfRangeException>(() => metric.InternalBatchSize(0)).ParamName);
        Assert.Equal(10, metric.Settings.Samples);
        Assert.False(metric.Settings.Normalize);
    }

    [Fact]
    public void Settings_are_read_back_by_the_setters_names()
    {
        var metric = Infidelity.GaussianNoise(0.1);
        Assert.Equal(Defaults.InfidelitySamples, metric.Settings.Samples);
        Assert.Null(metric.Settings.InternalBatchSize);
        Assert.Null(metric.Settings.Seed);
        var settings = metric.Samples(20).Samples(6).InternalBatchSize(12).Seed(2).Normalize().Settings;
        Assert.Equal(6, settings.Samples);
        Assert.Equal(12, settings.InternalBatchSize);
        Assert.Equal(2L, settings.Seed);
        Assert.True(settings.Normalize);
        Assert.Equal(0.1, metric.NoiseStdDev);
        Assert.Equal("Infidelity", metric.Name);
        // The built-in perturbation compares by value; a perturbation function by reference.
        Assert.True(Infidelity.GaussianNoise(0.1).Samples(4) == Infidelity.GaussianNoise(0.1).Samples(4));
        Assert.True(Infidelity.GaussianNoise(0.1) != Infidelity.GaussianNoise(0.2));
        Assert.True(Infidelity.GaussianNoise(0.1) != Infidelity.GaussianNoise(0.1).Normalize());
    }

    [Fact]
    public void Attributions_must_match_the_inputs()
    {
        using var scope = NewDisposeScope();
        var x = TinyModels.Inputs();
        var run = Explain(TinyModels.Linear()).For(0);
        var e = Assert.Throws<ArgumentException>(() => run.Infidelity(Infidelity.GaussianNoise(0.1), x, zeros(3, 5, dtype: ScalarType.Float64)));
        Assert.Equal("attributions", e.ParamName);
        Assert.Contains("(3, 5)", e.Message);
        Assert.Contains("(3, 6)", e.Message);
        e = Assert.Throws<ArgumentException>(() => run.Infidelity(Infidelity.GaussianNoise(0.1), [x], [x, x]));
        Assert.Equal("attributions", e.ParamName);
    }

    [Fact]
    public void A_perturbation_of_the_wrong_shape_names_the_perturbation()
    {
        using var scope = NewDisposeScope();
        var x = TinyModels.Inputs();
        var bad = Infidelity.Perturbation(t => (t[.., ..5], t));
        var e = Assert.Throws<ArgumentException>(() => Explain(TinyModels.Linear()).For(0).Infidelity(bad, x, x));
        Assert.Equal("perturbation", e.ParamName);
        var single = Infidelity.Perturbation(t => (t, t));
        e = Assert.Throws<ArgumentException>(() =>
            Explain((Tensor a, Tensor b) => a.sum(dim: 1) + b.sum(dim: 1)).Infidelity(single, [x, x], [x, x]));
        Assert.Equal("perturbation", e.ParamName);
    }

    [Theory]
    [InlineData(ScalarType.Float64, 1e-20)]
    [InlineData(ScalarType.Float32, 1e-9)]
    public void Exact_attributions_of_a_linear_model_have_no_infidelity(ScalarType dtype, double tolerance)
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Linear(dtype);
        var x = TinyModels.Inputs(dtype);
        var exact = TinyModels.LinearWeights(model)[1].expand(3, 6).to(dtype); // the gradient: a·I = F(x) − F(x − I)
        var value = Explain(model).For(1).Infidelity(Infidelity.GaussianNoise(0.2).Samples(7).Seed(3), x, exact);
        Assert.Equal(new long[] { 3 }, value.shape);
        Assert.Equal(dtype, value.dtype);
        Assert.True(MaxAbs(value) < tolerance, $"{MaxAbs(value)}");
        // Twice the exact attributions: wrong scale, fixed by normalizing.
        Assert.True(Explain(model).For(1).Infidelity(Infidelity.GaussianNoise(0.2).Seed(3), x, exact * 2).to(ScalarType.Float64).min().item<double>() > 1e-4);
        // (β²Σa² − 2βΣab + Σb² cancels to rounding.)
        var normalized = Explain(model).For(1).Infidelity(Infidelity.GaussianNoise(0.2).Seed(3).Normalize(), x, exact * 2);
        Assert.True(MaxAbs(normalized) < (dtype == ScalarType.Float64 ? 1e-13 : 1e-5), $"{MaxAbs(normalized)}");
    }

    [Fact]
    public void Matches_the_definition_on_a_nonlinear_model()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Mlp();
        var x = TinyModels.Inputs();
        var a = Explain(model).For(2).With(IntegratedGradients.Steps(10)).Attribute(x).Value;
        // Deterministic perturbation I = 0.1·x + 0.05: every sample is the same, so the mean is that one term.
        var metric = Infidelity.Perturbation(t => (0.1 * t + 0.05, t - (0.1 * t + 0.05))).Samples(4);
        var value = Explain(model).For(2).Infidelity(metric, x, a);
        var perturbation = 0.1 * x + 0.05;
        Tensor expected;
        using (no_grad())
        {
            var change = model.call(x)[.., 2] - model.call(x - perturbation)[.., 2];
            expected = ((a * perturbation).sum(dim: 1) - change).pow(2);
        }
        Assert.True(TinyModels.MaxAbsDiff(value, expected) < 1e-14);
        // Batching does not change a deterministic perturbation's result.
        Assert.True(TinyModels.MaxAbsDiff(value, Explain(model).For(2).Infidelity(metric.InternalBatchSize(3), x, a)) < 1e-14);
    }

    [Fact]
    public void Additional_arguments_are_expanded_per_example()
    {
        using var scope = NewDisposeScope();
        // f(x; s) = s · (w·x): the exact attribution s·w has no infidelity only if s follows its example.
        var w = tensor(new double[] { 1, -1, 2, 0.5, -0.5, 1.5 });
        var s = tensor(new double[] { 1.0, -2.0, 0.5 }).reshape(3, 1);
        var x = TinyModels.Inputs();
        var value = Explain((Tensor a, Tensor scale) => (a * w).sum(dim: 1) * scale.squeeze(1))
            .With(Saliency.Signed).WithAdditionalArguments(s)
            .Infidelity(Infidelity.GaussianNoise(0.3).Samples(5).InternalBatchSize(6), x, s * w);
        Assert.True(MaxAbs(value) < 1e-20);
    }

    private static double MaxAbs(Tensor t) => t.to(ScalarType.Float64).abs().max().item<double>();

    [Fact]
    public void Seed_makes_the_gaussian_draws_repeatable()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Mlp(ScalarType.Float32);
        var x = TinyModels.Inputs(ScalarType.Float32);
        var a = Explain(model).For(0).With(Saliency.Signed).Attribute(x).Value;
        var metric = Infidelity.GaussianNoise(0.1).Samples(5).Seed(9);
        var first = Explain(model).For(0).Infidelity(metric, x, a);
        Assert.Equal(ScalarType.Float32, first.dtype);
        Assert.True(TinyModels.MaxAbsDiff(first, Explain(model).For(0).Infidelity(metric, x, a)) < 1e-6); // BLAS threading may round differently
        Assert.True(TinyModels.MaxAbsDiff(first, Explain(model).For(0).Infidelity(metric.Seed(10), x, a)) > 1e-3 * MaxAbs(first));
    }
}
