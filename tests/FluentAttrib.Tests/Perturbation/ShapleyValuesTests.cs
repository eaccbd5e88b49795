using static FluentAttrib.Fluent;
using static FluentAttrib.Tests.Perturbation.PerturbationTestKit;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Perturbation;

public class ShapleyValuesTests
{
    [Fact]
    public void Too_many_features_are_rejected_with_a_pointer_to_sampling()
    {
        var x = Data(1, ScalarType.Float64, 2, 11);
        Func<Tensor, Tensor> model = u => u.sum(dim: 1);
        var e = Assert.Throws<ArgumentException>(() => Explain(model).With(ShapleyValues.Default).Attribute(x));
        Assert.Equal("featureMask", e.ParamName);
        Assert.Contains("11 features", e.Message);
        Assert.Contains("ShapleyValueSampling", e.Message);
    }

    [Fact]
    public void Ten_features_are_accepted()
    {
        var x = Data(1, ScalarType.Float64, 2, 10);
        var w = Data(2, ScalarType.Float64, 10);
        Func<Tensor, Tensor> model = u => (u * w).sum(dim: 1);
        using var a = Explain(model).With(ShapleyValues.Default.PerturbationsPerPass(64)).Attribute(x);
        AssertClose(x * w, a.Value, atol: 1e-12);
    }

    [Fact]
    public void Settings_are_read_back_by_the_setters_names()
    {
        var settings = ShapleyValues.Default.Baseline(Baselines.PerInput(0.0, 1.0)).PerturbationsPerPass(5).Settings;
        Assert.Equal(Baselines.PerInput(0.0, 1.0), settings.Baseline);
        Assert.Equal(5, settings.PerturbationsPerPass);
        Assert.Null(settings.Mask);
    }

    [Fact]
    public void Invalid_settings_are_rejected()
    {
        Assert.Equal("perturbations", Assert.Throws<ArgumentOutOfRangeException>(() => ShapleyValues.Default.PerturbationsPerPass(0)).ParamName);
        Assert.Equal("baseline", Assert.Throws<ArgumentNullException>(() => ShapleyValues.Default.Baseline(null!)).ParamName);
        var x = Data(1, ScalarType.Float64, 2, 6);
        var e = Assert.Throws<ArgumentException>(() =>
            Explain(Mlp()).For(0).With(ShapleyValues.Default.Baseline(Baselines.PerInput(0.0, 1.0))).Attribute(x));
        Assert.Equal("baselines", e.ParamName);
    }

    [Fact]
    public void Equals_the_average_over_all_orders_with_a_mask()
    {
        var model = Mlp();
        var x = Data(3, ScalarType.Float64, 3, 6);
        long[] groups = [0, 1, 1, 2, 3, 3];
        using var a = Explain(model).For(2).With(ShapleyValues.Default.Mask(tensor(groups).reshape(1, 6)).Baseline(0.2)).Attribute(x);
        AssertClose(ReferenceShapley(model, x, 2, groups, 0.2), a.Value, atol: 1e-12);
    }

    [Fact]
    public void Equals_the_average_over_all_orders_per_scalar()
    {
        var model = Mlp();
        var x = Data(4, ScalarType.Float64, 2, 6);
        using var a = Explain(model).For(0).With(ShapleyValues.Default).Attribute(x);
        AssertClose(ReferenceShapley(model, x, 0, [0, 1, 2, 3, 4, 5], 0.0), a.Value, atol: 1e-12);
    }

    [Fact]
    public void Per_example_masks_and_efficiency()
    {
        var model = Mlp();
        var x = Data(5, ScalarType.Float64, 2, 6);
        var mask = tensor(new long[] { 5, 4, 3, 2, 1, 0, 1, 3, 5, 0, 2, 4 }).reshape(2, 6);
        using var perExample = Explain(model).For(1).With(ShapleyValues.Default.Mask(mask)).Attribute(x);
        using var shared = Explain(model).For(1).With(ShapleyValues.Default).Attribute(x);
        AssertClose(shared.Value, perExample.Value, atol: 1e-12);
        var full = Outputs(model, x, 1);
        var empty = Outputs(model, zeros_like(x), 1);
        for (long b = 0; b < 2; b++)
            Assert.Equal(full[b] - empty[b], perExample.Value[b].sum().item<double>(), 12);
    }

    [Fact]
    public void Without_a_target_the_output_dimensions_are_kept_as_in_captum()
    {
        var x = Data(6, ScalarType.Float64, 3, 4);
        Func<Tensor, Tensor> model = u => u.pow(2).sum(1, keepdim: true);
        using var a = Explain(model).With(ShapleyValues.Default).Attribute(x);
        Assert.Equal([3L, 1, 4], a.Value.shape);
        AssertClose(x.pow(2).unsqueeze(1), a.Value, atol: 1e-12);
    }

    [Fact]
    public void Batched_result_equals_unbatched()
    {
        var model = Cnn();
        var x = Data(7, ScalarType.Float64, 3, 2, 6, 7);
        var mask = arange(42, dtype: ScalarType.Int64).reshape(1, 1, 6, 7).remainder(5);
        var method = ShapleyValues.Default.Mask(mask);
        using var one = Explain(model).For(Target.PerExample(2, 0, 1)).With(method.PerturbationsPerPass(1)).Attribute(x);
        using var seven = Explain(model).For(Target.PerExample(2, 0, 1)).With(method.PerturbationsPerPass(7)).Attribute(x);
        AssertClose(one.Value, seven.Value, atol: 1e-12);
    }

    [Fact]
    public void Float32_progress_and_cancellation()
    {
        var x = Data(8, ScalarType.Float32, 3, 6);
        var mask = tensor(new long[] { 0, 0, 1, 1, 2, 2 }).reshape(1, 6);
        var recorder = new Recorder();
        using var a32 = Explain(Mlp(ScalarType.Float32)).For(1).With(ShapleyValues.Default.Mask(mask).PerturbationsPerPass(3)).WithProgress(recorder).Attribute(x);
        using var a64 = Explain(Mlp()).For(1).With(ShapleyValues.Default.Mask(mask)).Attribute(x.to(ScalarType.Float64));
        Assert.Equal(ScalarType.Float32, a32.Value.dtype);
        AssertClose(a64.Value, a32.Value, atol: 1e-5, rtol: 1e-4);
        Assert.Equal(3, recorder.Reports[^1].Total); // 2³ coalitions in passes of 3
        Assert.Equal(3, recorder.Reports[^1].Completed);

        using var cts = new CancellationTokenSource();
        var cancelling = new Recorder(_ => cts.Cancel());
        Assert.ThrowsAny<OperationCanceledException>(() =>
            Explain(Mlp(ScalarType.Float32)).For(1).With(ShapleyValues.Default.Mask(mask).PerturbationsPerPass(3)).WithProgress(cancelling).WithCancellation(cts.Token).Attribute(x));
        Assert.Single(cancelling.Reports);
    }
}
