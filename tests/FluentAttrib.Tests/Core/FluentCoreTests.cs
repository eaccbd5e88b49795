using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Tests;

public class FluentCoreTests
{
    [Fact]
    public void Target_out_of_range_names_target_and_output_shape()
    {
        var model = TestModels.Mlp();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Explain(model).For(3).With(Saliency.Default).Attribute(TestModels.Batch()));
        Assert.Equal("target", e.ParamName);
        Assert.Contains("(3, 3)", e.Message);
    }

    [Fact]
    public void Negative_target_counts_from_the_end_like_python()
    {
        var model = TestModels.Mlp();
        var x = TestModels.Batch();
        using var a = Explain(model).For(-1).With(Saliency.Signed).Attribute(x);
        using var b = Explain(model).For(2).With(Saliency.Signed).Attribute(x);
        Assert.True(a.Value.allclose(b.Value));
    }

    [Fact]
    public void Per_example_target_of_the_wrong_length_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Explain(TestModels.Mlp()).For(new[] { 0, 1 }).With(Saliency.Default).Attribute(TestModels.Batch(3)));
        Assert.Equal("target", e.ParamName);
        Assert.Contains("3 examples", e.Message);
    }

    [Fact]
    public void Missing_target_on_a_multi_output_model_says_what_to_do()
    {
        var e = Assert.Throws<ArgumentException>(() => Explain(TestModels.Mlp()).With(Saliency.Default).Attribute(TestModels.Batch()));
        Assert.Contains("For(", e.Message);
    }

    [Fact]
    public void Target_tuple_on_a_two_dim_output_has_wrong_arity()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Explain(TestModels.Mlp()).For(Target.Element(0, 1)).With(Saliency.Default).Attribute(TestModels.Batch()));
        Assert.Equal("target", e.ParamName);
    }

    [Fact]
    public void Element_target_selects_from_a_three_dim_output()
    {
        Func<Tensor, Tensor> f = x => (x.unsqueeze(2) * x.unsqueeze(1)); // (B, 4, 4): x_i * x_j
        var x = TestModels.Batch();
        using var a = Explain(f).For(Target.Element(1, 2)).With(Saliency.Signed).Attribute(x);
        // d(x1 x2)/dx = (0, x2, x1, 0)
        Assert.True(a.Value[.., 1].allclose(x[.., 2]));
        Assert.True(a.Value[.., 2].allclose(x[.., 1]));
        Assert.Equal(0.0, a.Value[.., 0].abs().max().item<double>());
    }

    [Fact]
    public void Baseline_that_does_not_broadcast_names_both_shapes()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Explain(TestModels.Mlp()).For(0).With(IntegratedGradients.Steps(4).Baseline(zeros(2, 4, dtype: ScalarType.Float64))).Attribute(TestModels.Batch(3)));
        Assert.Equal("baselines", e.ParamName);
        Assert.Contains("(2, 4)", e.Message);
        Assert.Contains("(3, 4)", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Integrated_gradients_rejects_non_positive_steps_at_construction(int steps)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => IntegratedGradients.Steps(steps));
    }

    [Fact]
    public void Trapezoid_rule_needs_two_steps()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => IntegratedGradients.Steps(1).Quadrature(Quadrature.RiemannTrapezoid));
        Assert.Throws<ArgumentOutOfRangeException>(() => IntegratedGradients.Default.Quadrature(Quadrature.RiemannTrapezoid).Steps(1));
    }

    [Fact]
    public void Settings_are_immutable_values()
    {
        var a = IntegratedGradients.Steps(10);
        var b = a.Quadrature(Quadrature.RiemannLeft);
        Assert.Equal(Quadrature.GaussLegendre, a.Settings.Quadrature);
        Assert.Equal(Quadrature.RiemannLeft, b.Settings.Quadrature);
        Assert.Equal(IntegratedGradients.Steps(10), a);
    }

    [Fact]
    public void Inputs_of_different_batch_sizes_are_rejected()
    {
        Func<Tensor, Tensor, Tensor> f = (a, b) => a.sum(1) + b.sum(1);
        var e = Assert.Throws<ArgumentException>(() =>
            Explain(f).With(Saliency.Default).Attribute(ones(3, 2, dtype: ScalarType.Float64), ones(2, 2, dtype: ScalarType.Float64)));
        Assert.Equal("inputs", e.ParamName);
    }

    [Fact]
    public void Wrong_number_of_inputs_for_a_two_input_function_is_rejected()
    {
        Func<Tensor, Tensor, Tensor> f = (a, b) => a.sum(1) + b.sum(1);
        Assert.Throws<ArgumentException>(() => Explain(f).With(Saliency.Default).Attribute(ones(3, 2, dtype: ScalarType.Float64)));
    }

    [Fact]
    public void Additional_arguments_reach_the_model_and_are_not_attributed()
    {
        Func<Tensor, Tensor, Tensor> f = (x, scale) => (x * scale).sum(1);
        var x = TestModels.Batch();
        var scale = tensor(new double[] { 1, 2, 3 }).unsqueeze(1);
        using var a = Explain(f).With(Saliency.Signed).WithAdditionalArguments(scale).Attribute(x);
        Assert.Single(a.Values);
        Assert.True(a.Value.allclose(scale.expand(3, 4)));
        // IG expands the additional argument with the batch of path points.
        using var ig = Explain(f).With(IntegratedGradients.Steps(5).ReturnDelta()).WithAdditionalArguments(scale).Attribute(x);
        Assert.True(ig.Value.allclose(x * scale));
        Assert.True(ig.Delta!.abs().max().item<double>() < 1e-12);
    }

    [Fact]
    public void Integer_inputs_are_rejected_by_gradient_methods()
    {
        Func<Tensor, Tensor> f = x => x.to(ScalarType.Float64).sum(1);
        var e = Assert.Throws<ArgumentException>(() => Explain(f).With(Saliency.Default).Attribute(ones(2, 3, dtype: ScalarType.Int64)));
        Assert.Contains("embedding", e.Message);
    }

    [Fact]
    public void A_model_that_does_not_depend_on_its_input_throws_instead_of_aborting()
    {
        Func<Tensor, Tensor> f = x => ones(x.shape[0], dtype: ScalarType.Float64);
        Assert.Throws<InvalidOperationException>(() => Explain(f).With(Saliency.Default).Attribute(ones(2, 3, dtype: ScalarType.Float64)));
    }

    [Fact]
    public void Unused_input_gets_zero_gradient()
    {
        Func<Tensor, Tensor, Tensor> f = (a, b) => a.pow(2).sum(1);
        using var r = Explain(f).With(Saliency.Signed).Attribute(ones(2, 3, dtype: ScalarType.Float64), ones(2, 2, dtype: ScalarType.Float64));
        Assert.Equal(0.0, r.Values[1].abs().sum().item<double>());
        Assert.True(r.Values[0].allclose(full(2, 3, 2.0, dtype: ScalarType.Float64)));
    }
}
