using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Layers;

/// <summary>
/// The stochastic methods (LayerGradientShap, NeuronGradientShap, LayerFeaturePermutation) against closed forms on
/// a purely linear model F(x) = W2 (W1 x + b1) + b2, where they do not depend on the random draws.
/// </summary>
public class StochasticLayerTests
{
    [Fact]
    public void LayerGradientShap_with_one_baseline_and_no_noise_is_the_layer_difference_times_the_head_weights()
    {
        using var scope = NewDisposeScope();
        var model = LayerTestModels.Linear2();
        var (w1, b1, w2) = (LayerTestModels.Weight(model, "fc1"), LayerTestModels.Bias(model, "fc1"), LayerTestModels.Weight(model, "fc2"));
        var x = randn(3, 4, dtype: ScalarType.Float64);
        var b = randn(1, 4, dtype: ScalarType.Float64);
        using var a = Explain(model).For(1).At("fc1").With(LayerGradientShap.BaselineDistribution(b).Samples(7).ReturnDelta()).Attribute(x);
        var layerX = x.matmul(w1.t()) + b1;
        var layerB = b.matmul(w1.t()) + b1;
        var expected = (layerX - layerB) * w2[1];
        Assert.True(allclose(a.Value, expected, rtol: 1e-10, atol: 1e-12));
        Assert.Equal([21L], a.Delta!.shape);
        Assert.True(a.Delta.abs().max().item<double>() < 1e-10);

        using var gradientsOnly = Explain(model).For(1).At("fc1").With(LayerGradientShap.BaselineDistribution(b).Samples(3).MultiplyByInputs(false)).Attribute(x);
        Assert.True(allclose(gradientsOnly.Value, w2[1].expand(3, 3), rtol: 1e-12, atol: 1e-12));
    }

    [Fact]
    public void LayerGradientShap_is_complete_per_sample_with_noise_and_a_baseline_distribution()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(1);
        var model = LayerTestModels.Linear2();
        var x = randn(2, 4, dtype: ScalarType.Float64);
        var distribution = randn(5, 4, dtype: ScalarType.Float64);
        using var a = Explain(model).For(0).At("fc1").With(LayerGradientShap.BaselineDistribution(distribution).Samples(6).StdDev(0.3).ReturnDelta())
            .WithMemoryBudget(1).Attribute(x);
        Assert.Equal([2L, 3], a.Value.shape);
        Assert.Equal([12L], a.Delta!.shape);
        Assert.True(a.Delta.abs().max().item<double>() < 1e-10);
    }

    [Fact]
    public void NeuronGradientShap_with_one_baseline_and_no_noise_is_the_input_difference_times_the_neuron_weights()
    {
        using var scope = NewDisposeScope();
        var model = LayerTestModels.Linear2();
        var w1 = LayerTestModels.Weight(model, "fc1");
        var x = randn(3, 4, dtype: ScalarType.Float64);
        var b = randn(1, 4, dtype: ScalarType.Float64);
        using var a = Explain(model).At("fc1").Neuron(2).With(NeuronGradientShap.BaselineDistribution(b).Samples(4)).Attribute(x);
        Assert.True(allclose(a.Value, (x - b) * w1[2], rtol: 1e-10, atol: 1e-12));
    }

    /// <summary>
    /// The GradientSHAP sampler draws every random number of a call up front from the seeded generator: the result of
    /// LayerGradientShap and NeuronGradientShap does not depend on the memory budget (one sample per pass, or all in
    /// one), the same seed gives the same result, and another seed another one.
    /// </summary>
    [Fact]
    public void Seeded_layer_and_neuron_gradient_shap_do_not_depend_on_the_memory_budget()
    {
        using var scope = NewDisposeScope();
        var (model, _) = LayerTestModels.MlpWithSpy();
        var x = randn(2, 4, dtype: ScalarType.Float64);
        var distribution = randn(4, 4, dtype: ScalarType.Float64);

        var layer = LayerGradientShap.BaselineDistribution(distribution).Samples(6).StdDev(0.3).Seed(11).ReturnDelta();
        Attribution Layer(LayerGradientShap m, long budget) => Explain(model).For(2).At("fc1").With(m).WithMemoryBudget(budget).Attribute(x);
        using var small = Layer(layer, 1);
        using var large = Layer(layer, 1L << 30);
        using var again = Layer(layer, 1);
        using var other = Layer(layer.Seed(12), 1);
        Assert.True(allclose(small.Value, large.Value, rtol: 1e-12, atol: 1e-14));
        Assert.True(allclose(small.Delta!, large.Delta!, rtol: 1e-10, atol: 1e-12));
        Assert.True(allclose(small.Value, again.Value, rtol: 0, atol: 0));
        Assert.False(allclose(small.Value, other.Value, rtol: 1e-6, atol: 1e-9));

        var neuron = NeuronGradientShap.BaselineDistribution(distribution).Samples(6).StdDev(0.3).Seed(11);
        Attribution Neuron(NeuronGradientShap m, long budget) => Explain(model).At("fc2").Neuron(1).With(m).WithMemoryBudget(budget).Attribute(x);
        using var nSmall = Neuron(neuron, 1);
        using var nLarge = Neuron(neuron, 1L << 30);
        using var nAgain = Neuron(neuron, 1);
        using var nOther = Neuron(neuron.Seed(12), 1);
        Assert.True(allclose(nSmall.Value, nLarge.Value, rtol: 1e-12, atol: 1e-14));
        Assert.True(allclose(nSmall.Value, nAgain.Value, rtol: 0, atol: 0));
        Assert.False(allclose(nSmall.Value, nOther.Value, rtol: 1e-6, atol: 1e-9));
    }

    [Fact]
    public void LayerFeaturePermutation_on_a_batch_of_two_swaps_the_examples()
    {
        using var scope = NewDisposeScope();
        var model = LayerTestModels.Linear2();
        var (w1, b1, w2) = (LayerTestModels.Weight(model, "fc1"), LayerTestModels.Bias(model, "fc1"), LayerTestModels.Weight(model, "fc2"));
        var x = randn(2, 4, dtype: ScalarType.Float64);
        var layer = x.matmul(w1.t()) + b1;
        var swapped = layer.flip(0);
        using var a = Explain(model).For(1).At("fc1").With(LayerFeaturePermutation.Default).Attribute(x);
        Assert.True(allclose(a.Value, (layer - swapped) * w2[1], rtol: 1e-10, atol: 1e-12));

        using var grouped = Explain(model).For(1).At("fc1").With(LayerFeaturePermutation.Default.Mask(zeros(1, 3, dtype: ScalarType.Int64))).Attribute(x);
        var whole = ((layer - swapped) * w2[1]).sum(dim: 1, keepdim: true).expand(2, 3);
        Assert.True(allclose(grouped.Value, whole, rtol: 1e-10, atol: 1e-12));

        var e = Assert.Throws<ArgumentException>(() => Explain(model).For(1).At("fc1").With(LayerFeaturePermutation.Default).Attribute(x[..1]));
        Assert.Contains("at least 2", e.Message);
    }
}
