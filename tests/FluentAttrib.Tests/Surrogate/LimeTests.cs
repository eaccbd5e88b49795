using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Surrogate;

public class LimeTests
{
    [Fact]
    public void Invalid_settings_throw_when_built()
    {
        Assert.Equal("samples", Assert.Throws<ArgumentOutOfRangeException>(() => Lime.Samples(0)).ParamName);
        Assert.Equal("perturbations", Assert.Throws<ArgumentOutOfRangeException>(() => Lime.Default.PerturbationsPerPass(0)).ParamName);
        Assert.Equal("width", Assert.Throws<ArgumentOutOfRangeException>(() => Lime.Default.KernelWidth(0)).ParamName);
        Assert.Equal("width", Assert.Throws<ArgumentOutOfRangeException>(() => Lime.Default.KernelWidth(double.NaN)).ParamName);
        Assert.Equal("distance", Assert.Throws<ArgumentOutOfRangeException>(() => Lime.Default.Distance((LimeDistance)7)).ParamName);
        Assert.Equal("mask", Assert.Throws<ArgumentNullException>(() => Lime.Default.Mask(null!)).ParamName);
        Assert.Equal("baseline", Assert.Throws<ArgumentNullException>(() => Lime.Default.Baseline(null!)).ParamName);
        Assert.Equal("model", Assert.Throws<ArgumentNullException>(() => Lime.Default.Surrogate(null!)).ParamName);
        Assert.Equal("alpha", Assert.Throws<ArgumentOutOfRangeException>(() => SurrogateModel.Lasso(0)).ParamName);
        Assert.Equal("alpha", Assert.Throws<ArgumentOutOfRangeException>(() => SurrogateModel.Lasso(double.PositiveInfinity)).ParamName);
    }

    [Fact]
    public void Defaults_are_captums()
    {
        var settings = Lime.Default.Settings;
        Assert.Equal(Defaults.LimeSamples, settings.Samples);
        Assert.Equal(25, settings.Samples);
        Assert.Equal(SurrogateModel.Lasso(0.01), settings.Surrogate);
        Assert.Equal(1.0, settings.KernelWidth);
        Assert.Equal(LimeDistance.Cosine, settings.Distance);
        Assert.True(settings.ReturnInputShape);
        Assert.Null(settings.PerturbationsPerPass);
        Assert.Null(settings.Seed);
        Assert.Equal(Baselines.Zero, settings.Baseline);
        Assert.Null(settings.Mask);
    }

    [Fact]
    public void Settings_are_read_back_by_the_setters_names()
    {
        TorchRuntime.EnsureLoaded();
        using var mask = zeros(1, 6, dtype: ScalarType.Int64);
        var lime = Lime.Samples(40).Baseline(0.5).Mask(mask).PerturbationsPerPass(8).ReturnInputShape(false).Seed(3)
            .Surrogate(SurrogateModel.LinearRegression).KernelWidth(0.75).Distance(LimeDistance.Euclidean);
        var settings = lime.Settings;
        Assert.Equal(40, settings.Samples);
        Assert.Equal(Baselines.Scalar(0.5), settings.Baseline);
        Assert.Same(mask, Assert.Single(settings.Mask!.Masks));
        Assert.Equal(8, settings.PerturbationsPerPass);
        Assert.False(settings.ReturnInputShape);
        Assert.Equal(3L, settings.Seed);
        Assert.Equal(SurrogateModel.LinearRegression, settings.Surrogate);
        Assert.Equal(0.75, settings.KernelWidth);
        Assert.Equal(LimeDistance.Euclidean, settings.Distance);
        // A later setter replaces the earlier value; the rest is kept.
        Assert.Equal(10, lime.Samples(10).Settings.Samples);
        Assert.Equal(0.75, lime.Samples(10).Settings.KernelWidth);
    }

    [Fact]
    public void Methods_with_scalar_baselines_compare_by_value()
    {
        Assert.True(Lime.Default.Baseline(0.5) == Lime.Default.Baseline(0.5));
        Assert.Equal(Lime.Default.Baseline(0.5), Lime.Default.Baseline(0.5));
        Assert.Equal(Lime.Default.Baseline(0.5).GetHashCode(), Lime.Default.Baseline(0.5).GetHashCode());
        Assert.True(Lime.Default.Baseline(0.5) != Lime.Default.Baseline(0.25));
        Assert.True(Lime.Samples(40).KernelWidth(2).Surrogate(SurrogateModel.Lasso(0.1)) == Lime.Samples(40).KernelWidth(2).Surrogate(SurrogateModel.Lasso(0.1)));
        Assert.True(Lime.Default.Baseline(Baselines.PerInput(0.0, 1)) == Lime.Default.Baseline(Baselines.PerInput(0, 1.0)));
        Assert.True(Lime.Default.Settings == Lime.Default.Baseline(0).Settings);
    }

    [Fact]
    public void Tensor_baselines_and_masks_compare_by_reference()
    {
        TorchRuntime.EnsureLoaded();
        using var a = zeros(1, 6);
        using var b = zeros(1, 6);
        using var m = zeros(1, 6, dtype: ScalarType.Int64);
        using var n = zeros(1, 6, dtype: ScalarType.Int64);
        Assert.True(Lime.Default.Baseline(a) == Lime.Default.Baseline(a));
        Assert.True(Lime.Default.Baseline(a) != Lime.Default.Baseline(b));
        Assert.True(Lime.Default.Mask(m) == Lime.Default.Mask(m));
        Assert.True(Lime.Default.Mask(m) != Lime.Default.Mask(n));
        Assert.True(Lime.Default.Baseline(Baselines.PerInput(a, 0.5)) == Lime.Default.Baseline(Baselines.PerInput(a, 0.5)));
        Assert.True(Lime.Default.Baseline(a) != Lime.Default.Baseline(0.0));
    }

    [Fact]
    public void A_mask_that_does_not_fit_names_the_argument_and_shapes()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Linear();
        var lime = Lime.Samples(10).Mask(zeros(1, 5, dtype: ScalarType.Int64));
        var e = Assert.Throws<ArgumentException>(() => Explain(model).For(0).With(lime).Attribute(TinyModels.Inputs()));
        Assert.Equal("featureMask", e.ParamName);
        Assert.Contains("(1, 5)", e.Message);
        Assert.Contains("(3, 6)", e.Message);
    }

    [Fact]
    public void A_baseline_that_does_not_fit_names_the_argument()
    {
        using var scope = NewDisposeScope();
        var lime = Lime.Samples(10).Baseline(zeros(2, 6, dtype: ScalarType.Float64));
        var e = Assert.Throws<ArgumentException>(() => Explain(TinyModels.Linear()).For(0).With(lime).Attribute(TinyModels.Inputs()));
        Assert.Equal("baselines", e.ParamName);
    }

    [Fact]
    public void A_target_per_example_of_the_wrong_length_names_the_target()
    {
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() =>
            Explain(TinyModels.Linear()).For(new long[] { 0, 1 }).With(Lime.Samples(10)).Attribute(TinyModels.Inputs()));
        Assert.Equal("target", e.ParamName);
    }

    [Theory]
    [InlineData(ScalarType.Float64, 1e-9)]
    [InlineData(ScalarType.Float32, 2e-5)]
    public void Linear_regression_surrogate_recovers_a_linear_model_exactly(ScalarType dtype, double tolerance)
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Linear(dtype);
        var x = TinyModels.Inputs(dtype);
        var lime = Lime.Samples(60).Surrogate(SurrogateModel.LinearRegression).Baseline(0.2);
        var a = Explain(model).For(new long[] { 2, 0, 1 }).With(lime).Attribute(x).Value;
        Assert.Equal(dtype, a.dtype);
        var w = TinyModels.LinearWeights(model);
        var expected = w.index_select(0, tensor(new long[] { 2, 0, 1 })) * (x.to(ScalarType.Float64) - 0.2);
        Assert.True(TinyModels.MaxAbsDiff(a, expected) < tolerance, $"difference {TinyModels.MaxAbsDiff(a, expected)}");
    }

    [Fact]
    public void Grouped_features_get_the_effect_of_their_group_and_coefficients_on_request()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Linear();
        var x = TinyModels.Inputs();
        var mask = tensor(new long[] { 3, 3, 4, 4, 5, 5 }).reshape(1, 6); // ids are shifted to start at 0
        var lime = Lime.Samples(40).Surrogate(SurrogateModel.LinearRegression).Mask(mask);
        var a = Explain(model).For(1).With(lime).Attribute(x).Value;
        var effect = TinyModels.LinearWeights(model)[1] * x;
        var groups = effect.reshape(3, 3, 2).sum(dim: 2);
        Assert.True(TinyModels.MaxAbsDiff(a, groups.repeat_interleave(2, dim: 1)) < 1e-9);
        var coefficients = Explain(model).For(1).With(lime.ReturnInputShape(false)).Attribute(x).Value;
        Assert.Equal(new long[] { 3, 3 }, coefficients.shape);
        Assert.True(TinyModels.MaxAbsDiff(coefficients, groups) < 1e-9);
    }

    [Fact]
    public void Default_lasso_surrogate_matches_the_weighted_lasso_closed_form_for_one_feature()
    {
        using var scope = NewDisposeScope();
        // f(x) = Σx with one feature: samples are x (weight 1, cosine distance 0) or the zero baseline (cosine
        // similarity 0, weight e^-1/2). The weighted Lasso slope is s − α / (p (1 − p)), p the weighted share of x.
        var x = tensor(new double[] { 1, 2, 3, 4 }).reshape(1, 4);
        int kept = 0, dropped = 0;
        Tensor Forward(Tensor t)
        {
            var y = t.sum(dim: 1);
            foreach (var v in y.data<double>()) { if (v == 10) kept++; else if (v == 0) dropped++; }
            return y;
        }
        var lime = Lime.Samples(50).Seed(11).Mask(zeros(1, 4, dtype: ScalarType.Int64));
        var a = Explain(Forward).With(lime).Attribute(x).Value;
        Assert.Equal(50, kept + dropped);
        double w0 = Math.Exp(-0.5), p = kept / (kept + dropped * w0);
        double expected = 10 - 0.01 / (p * (1 - p));
        foreach (var v in a.data<double>()) Assert.Equal(expected, v, 9);
    }

    [Fact]
    public void Seed_makes_the_result_repeatable_whatever_the_perturbations_per_eval()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Mlp();
        var x = TinyModels.Inputs();
        var lime = Lime.Samples(30).Surrogate(SurrogateModel.LinearRegression).Seed(3);
        var run = Explain(model).For(2);
        var a = run.With(lime).Attribute(x).Value;
        Assert.True(TinyModels.MaxAbsDiff(a, run.With(lime).Attribute(x).Value) < 1e-12); // BLAS threading may round differently
        // Same samples; only the model's rounding may differ between batch sizes.
        Assert.True(TinyModels.MaxAbsDiff(a, run.With(lime.PerturbationsPerPass(1)).Attribute(x).Value) < 1e-12);
        Assert.True(TinyModels.MaxAbsDiff(a, run.With(lime.PerturbationsPerPass(7)).Attribute(x).Value) < 1e-12);
        Assert.True(TinyModels.MaxAbsDiff(a, run.With(lime.Seed(4)).Attribute(x).Value) > 1e-4);
    }

    [Fact]
    public void Reports_progress_and_stops_when_cancelled()
    {
        using var scope = NewDisposeScope();
        var reports = new List<AttributionProgress>();
        var run = Explain(TinyModels.Linear()).For(0).With(Lime.Samples(10).PerturbationsPerPass(4))
            .WithProgress(new SyncProgress(reports.Add));
        run.Attribute(TinyModels.Inputs());
        Assert.Equal(9, reports.Count); // 3 examples × ⌈10 / 4⌉ passes
        Assert.All(reports, r => Assert.Equal(9, r.Total));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => run.WithCancellation(cts.Token).Attribute(TinyModels.Inputs()));
    }

    /// <summary>An <see cref="IProgress{T}"/> that reports on the calling thread.</summary>
    private sealed class SyncProgress(Action<AttributionProgress> report) : IProgress<AttributionProgress>
    {
        public void Report(AttributionProgress value) => report(value);
    }
}
