using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Metrics;

public class SensitivityMaxTests
{
    [Fact]
    public void Invalid_settings_throw_when_built()
    {
        Assert.Equal("samples", Assert.Throws<ArgumentOutOfRangeException>(() => SensitivityMax.Samples(0)).ParamName);
        Assert.Equal("samples", Assert.Throws<ArgumentOutOfRangeException>(() => SensitivityMax.Default.Samples(-1)).ParamName);
        Assert.Equal("radius", Assert.Throws<ArgumentOutOfRangeException>(() => SensitivityMax.Default.Radius(-0.1)).ParamName);
        Assert.Equal("radius", Assert.Throws<ArgumentOutOfRangeException>(() => SensitivityMax.Default.Radius(double.NaN)).ParamName);
        Assert.Equal("perturbation", Assert.Throws<ArgumentNullException>(() => SensitivityMax.Default.Perturbation(null!)).ParamName);
        Assert.Equal("examples", Assert.Throws<ArgumentOutOfRangeException>(() => SensitivityMax.Default.InternalBatchSize(0)).ParamName);
        Assert.Equal(10, SensitivityMax.Default.Settings.Samples);
        Assert.Equal(0.02, SensitivityMax.Default.Settings.Radius);
        Assert.Null(SensitivityMax.Default.Settings.Perturbation);
        Assert.Null(SensitivityMax.Default.Settings.MultiInputPerturbation);
    }

    [Fact]
    public void Settings_are_read_back_by_the_setters_names()
    {
        Assert.Equal(4, SensitivityMax.Samples(8).Samples(4).Settings.Samples);
        Assert.Equal(SensitivityMax.Default.Samples(8), SensitivityMax.Samples(8));
        Func<Tensor, Tensor> shift = t => t + 0.1;
        var metric = SensitivityMax.Default.Radius(0.5).Perturbation(shift).InternalBatchSize(9).Seed(11);
        var settings = metric.Settings;
        Assert.Same(shift, settings.Perturbation);
        Assert.Null(settings.MultiInputPerturbation);
        Assert.Equal(9, settings.InternalBatchSize);
        Assert.Equal(11L, settings.Seed);
        Assert.Equal(0.5, settings.Radius);
        // The radius replaces a perturbation function, and the other way round.
        Assert.Null(metric.Radius(0.1).Settings.Perturbation);
        Func<IReadOnlyList<Tensor>, Tensor[]> multi = ts => [.. ts];
        Assert.Null(metric.MultiInputPerturbation(multi).Settings.Perturbation);
        Assert.Same(multi, metric.MultiInputPerturbation(multi).Settings.MultiInputPerturbation);
        Assert.Equal("SensitivityMax", metric.Name);
        Assert.True(SensitivityMax.Samples(3).Radius(0.1) == SensitivityMax.Samples(3).Radius(0.1));
    }

    [Fact]
    public void A_perturbation_of_the_wrong_shape_names_the_perturbation()
    {
        using var scope = NewDisposeScope();
        var metric = SensitivityMax.Samples(2).Perturbation(t => t[..1]);
        var e = Assert.Throws<ArgumentException>(() =>
            Explain(TinyModels.Linear()).For(0).With(Saliency.Default).SensitivityMax(metric, TinyModels.Inputs()));
        Assert.Equal("perturbation", e.ParamName);
        Assert.Contains("(1, 6)", e.Message);
    }

    [Theory]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float32)]
    public void Saliency_of_a_linear_model_is_insensitive(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var value = Explain(TinyModels.Linear(dtype)).For(1).With(Saliency.Default)
            .SensitivityMax(SensitivityMax.Samples(4).Radius(0.3).Seed(1), TinyModels.Inputs(dtype));
        Assert.Equal(dtype, value.dtype);
        Assert.Equal(new long[] { 3 }, value.shape);
        Assert.Equal(0, value.to(ScalarType.Float64).abs().max().item<double>());
    }

    [Fact]
    public void Is_the_largest_relative_change_over_the_perturbations()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Mlp();
        var x = TinyModels.Inputs();
        var run = Explain(model).For(0).With(Saliency.Signed);
        // Sample s of every example is shifted by 0.05·(s + 1).
        const int n = 3;
        var metric = SensitivityMax.Samples(n).Perturbation(t =>
            t + 0.05 * (arange(t.shape[0], dtype: ScalarType.Float64) % n + 1).unsqueeze(1));
        var value = run.SensitivityMax(metric, x);
        var original = run.Attribute(x).Value;
        var ratios = Enumerable.Range(0, n).Select(s =>
            (run.Attribute(x + 0.05 * (s + 1)).Value - original).pow(2).sum(dim: 1).sqrt() / original.pow(2).sum(dim: 1).sqrt()).ToArray();
        var expected = stack(ratios, 1).max(dim: 1).values;
        Assert.True(TinyModels.MaxAbsDiff(value, expected) < 1e-14);
        Assert.True(value.min().item<double>() > 0);
    }

    [Fact]
    public void Per_example_baselines_of_the_method_follow_the_perturbed_copies()
    {
        using var scope = NewDisposeScope();
        var x = TinyModels.Inputs();
        var ig = IntegratedGradients.Steps(5).Baseline(x * 0.5);
        var value = Explain(TinyModels.Mlp()).For(1).With(ig).SensitivityMax(SensitivityMax.Samples(3).Radius(0).InternalBatchSize(6), x);
        Assert.True(value.abs().max().item<double>() < 1e-14);
    }

    [Fact]
    public void Per_example_baselines_follow_the_perturbed_copies_through_a_noise_tunnel()
    {
        using var scope = NewDisposeScope();
        // SensitivityMax expands the batch (3 → 9), the noise tunnel expands it again (9 → 18): the wrapped method's
        // per-example baselines must follow both expansions, in order.
        var x = TinyModels.Inputs();
        var tunnel = NoiseTunnel.SmoothGrad(IntegratedGradients.Steps(5).Baseline(x * 0.5)).StdDev(0).Samples(2);
        var value = Explain(TinyModels.Mlp()).For(1).With(tunnel).SensitivityMax(SensitivityMax.Samples(3).Radius(0).InternalBatchSize(9), x);
        Assert.True(value.abs().max().item<double>() < 1e-14);
    }

    [Fact]
    public void Seed_makes_the_uniform_draws_repeatable()
    {
        using var scope = NewDisposeScope();
        var run = Explain(TinyModels.Mlp()).For(2).With(Saliency.Default);
        var metric = SensitivityMax.Samples(4).Radius(0.1).Seed(21);
        var first = run.SensitivityMax(metric, TinyModels.Inputs());
        Assert.True(TinyModels.MaxAbsDiff(first, run.SensitivityMax(metric, TinyModels.Inputs())) < 1e-12); // BLAS threading may round differently
        Assert.True(TinyModels.MaxAbsDiff(first, run.SensitivityMax(metric.Seed(22), TinyModels.Inputs())) > 1e-4);
    }

    [Fact]
    public void Reports_progress_and_stops_when_cancelled()
    {
        using var scope = NewDisposeScope();
        var reports = new List<AttributionProgress>();
        var run = Explain(TinyModels.Linear()).For(0).With(Saliency.Default).WithProgress(new SyncProgress(reports.Add));
        run.SensitivityMax(SensitivityMax.Samples(5).InternalBatchSize(6), TinyModels.Inputs());
        Assert.Equal([1, 2, 3], reports.Select(r => r.Completed)); // 2 + 2 + 1 samples per example
        Assert.All(reports, r => Assert.Equal("SensitivityMax", r.Method));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => run.WithCancellation(cts.Token).SensitivityMax(SensitivityMax.Default, TinyModels.Inputs()));
    }

    private sealed class SyncProgress(Action<AttributionProgress> report) : IProgress<AttributionProgress>
    {
        public void Report(AttributionProgress value) => report(value);
    }
}
