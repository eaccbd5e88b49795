using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Surrogate;

public class KernelShapTests
{
    [Fact]
    public void Invalid_settings_throw_when_built()
    {
        Assert.Equal("samples", Assert.Throws<ArgumentOutOfRangeException>(() => KernelShap.Samples(0)).ParamName);
        Assert.Equal("samples", Assert.Throws<ArgumentOutOfRangeException>(() => KernelShap.Default.Samples(-3)).ParamName);
        Assert.Equal("perturbations", Assert.Throws<ArgumentOutOfRangeException>(() => KernelShap.Default.PerturbationsPerPass(0)).ParamName);
        Assert.Equal("mask", Assert.Throws<ArgumentNullException>(() => KernelShap.Default.Mask(null!)).ParamName);
        Assert.Equal("baseline", Assert.Throws<ArgumentNullException>(() => KernelShap.Default.Baseline(null!)).ParamName);
    }

    [Fact]
    public void The_static_entry_point_and_the_setter_share_the_name()
    {
        Assert.Equal(100, KernelShap.Samples(200).Samples(100).Settings.Samples);
        Assert.Equal(KernelShap.Default.Samples(200), KernelShap.Samples(200));
        Assert.Equal(Defaults.KernelShapSamples, KernelShap.Default.Settings.Samples);
    }

    [Fact]
    public void Settings_are_read_back_by_the_setters_names()
    {
        var settings = KernelShap.Default.Settings;
        Assert.Equal(25, settings.Samples);
        Assert.Equal(Baselines.Zero, settings.Baseline);
        Assert.Null(settings.Mask);
        Assert.Null(settings.PerturbationsPerPass);
        Assert.True(settings.ReturnInputShape);
        Assert.Null(settings.Seed);

        settings = KernelShap.Samples(60).Baseline(Baselines.PerInput(0.1, 0.2)).PerturbationsPerPass(6).ReturnInputShape(false).Seed(7).Settings;
        Assert.Equal(60, settings.Samples);
        Assert.Equal(Baselines.PerInput(0.1, 0.2), settings.Baseline);
        Assert.Equal(6, settings.PerturbationsPerPass);
        Assert.False(settings.ReturnInputShape);
        Assert.Equal(7L, settings.Seed);
    }

    [Fact]
    public void Masks_for_a_multi_input_model_must_be_one_per_input()
    {
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() =>
            Explain((Tensor a, Tensor b) => a.sum(dim: 1) + b.sum(dim: 1))
                .With(KernelShap.Samples(10).Mask(zeros(1, 3, dtype: ScalarType.Int64)))
                .Attribute(ones(2, 3, dtype: ScalarType.Float64), ones(2, 2, dtype: ScalarType.Float64)));
        Assert.Equal("featureMask", e.ParamName);
    }

    [Theory]
    [InlineData(ScalarType.Float64, 1e-9)]
    [InlineData(ScalarType.Float32, 2e-5)]
    public void Recovers_the_shapley_values_of_a_linear_model(ScalarType dtype, double tolerance)
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Linear(dtype);
        var x = TinyModels.Inputs(dtype);
        var baseline = tensor(new double[] { 0.1, -0.2, 0.3, 0.0, 0.5, -0.4 }).reshape(1, 6).to(dtype);
        var a = Explain(model).For(1).With(KernelShap.Samples(40).Baseline(baseline)).Attribute(x).Value;
        Assert.Equal(dtype, a.dtype);
        var expected = TinyModels.LinearWeights(model)[1] * (x - baseline).to(ScalarType.Float64);
        Assert.True(TinyModels.MaxAbsDiff(a, expected) < tolerance, $"difference {TinyModels.MaxAbsDiff(a, expected)}");
    }

    [Fact]
    public void A_single_feature_gets_the_whole_output_change()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Mlp();
        var x = TinyModels.Inputs();
        var a = Explain(model).For(0).With(KernelShap.Samples(6).Mask(zeros(1, 6, dtype: ScalarType.Int64)).ReturnInputShape(false)).Attribute(x).Value;
        Tensor change;
        using (no_grad()) change = (model.call(x) - model.call(zeros_like(x)))[.., 0];
        Assert.Equal(new long[] { 3, 1 }, a.shape);
        Assert.True(TinyModels.MaxAbsDiff(a.squeeze(1), change) < 1e-9);
    }

    [Fact]
    public void Features_shared_across_inputs_and_per_example_additional_arguments()
    {
        using var scope = NewDisposeScope();
        // f(a, b; s) = s · (a·wa + b·wb) with a per-example scale s passed as an additional argument.
        var wa = tensor(new double[] { 1.0, -2.0, 0.5 });
        var wb = tensor(new double[] { 3.0, 0.25 });
        var a = tensor(new double[] { 0.2, 0.4, -0.6, 1.0, -1.0, 2.0 }).reshape(2, 3);
        var b = tensor(new double[] { -0.5, 0.7, 0.9, 0.1 }).reshape(2, 2);
        var s = tensor(new double[] { 2.0, -1.0 }).reshape(2, 1);
        var masks = FeatureMask.PerInput(tensor(new long[] { 0, 1, 2 }).reshape(1, 3), tensor(new long[] { 2, 3 }).reshape(1, 2));
        var result = Explain((Tensor[] args) => ((args[0] * wa).sum(dim: 1) + (args[1] * wb).sum(dim: 1)) * args[2].squeeze(1))
            .With(KernelShap.Samples(30).Mask(masks).Seed(5))
            .WithAdditionalArguments(s)
            .Attribute(a, b);
        var ea = a * wa * s;
        var eb = b * wb * s;
        var shared = ea[.., 2] + eb[.., 0];
        var expectedA = stack([ea[.., 0], ea[.., 1], shared], 1);
        var expectedB = stack([shared, eb[.., 1]], 1);
        Assert.True(TinyModels.MaxAbsDiff(result.Values[0], expectedA) < 1e-9);
        Assert.True(TinyModels.MaxAbsDiff(result.Values[1], expectedB) < 1e-9);
    }

    [Fact]
    public void Integer_inputs_give_float32_attributions()
    {
        using var scope = NewDisposeScope();
        var ids = tensor(new long[] { 3, 0, 5, 1, 2, 4 }).reshape(2, 3);
        var a = Explain((Tensor t) => t.to(ScalarType.Float64).mul(tensor(new double[] { 1, 2, 3 })).sum(dim: 1))
            .With(KernelShap.Samples(20).Seed(1)).Attribute(ids).Value;
        Assert.Equal(ScalarType.Float32, a.dtype);
        var expected = ids.to(ScalarType.Float64) * tensor(new double[] { 1, 2, 3 });
        Assert.True(TinyModels.MaxAbsDiff(a, expected) < 1e-5);
    }

    [Fact]
    public void Seed_makes_the_result_repeatable()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Mlp(ScalarType.Float32);
        var x = TinyModels.Inputs(ScalarType.Float32);
        var ks = KernelShap.Samples(12).Seed(42);
        var first = Explain(model).For(1).With(ks).Attribute(x).Value;
        Assert.Equal(ScalarType.Float32, first.dtype);
        Assert.True(TinyModels.MaxAbsDiff(first, Explain(model).For(1).With(ks).Attribute(x).Value) < 1e-6); // BLAS threading may round differently
        Assert.True(TinyModels.MaxAbsDiff(first, Explain(model).For(1).With(ks.PerturbationsPerPass(5)).Attribute(x).Value) < 1e-5);
        Assert.True(TinyModels.MaxAbsDiff(first, Explain(model).For(1).With(ks.Seed(43)).Attribute(x).Value) > 1e-4);
    }
}
