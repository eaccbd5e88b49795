using TorchSharp;
using TorchSharp.Modules;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Layers;

/// <summary>
/// TorchVision's resnet18 (random weights): it runs its forward in its own dispose scope, and its BasicBlocks end
/// with in-place add_/relu_ and an in-place ReLU module — the TorchSharp pitfalls layer attribution must survive.
/// </summary>
public class ResNetTests
{
    private static ResNet Model()
    {
        random.manual_seed(11);
        var model = torchvision.models.resnet18(num_classes: 10);
        model.to(ScalarType.Float64).eval();
        return model;
    }

    private static nn.Module<Tensor, Tensor> Module(nn.Module root, string path)
    {
        nn.Module m = root;
        foreach (var segment in path.Split('.')) m = m.named_children().First(c => c.name == segment).module;
        return (nn.Module<Tensor, Tensor>)m;
    }

    [Fact]
    public void GradCam_on_layer4_is_the_class_activation_map()
    {
        using var scope = NewDisposeScope();
        var model = Model();
        var x = randn(2, 3, 64, 64, dtype: ScalarType.Float64);
        using var cam = Explain(model).For(3).At("layer4").With(LayerGradCam.Default).Attribute(x);
        Assert.Equal([2L, 1, 2, 2], cam.Value.shape);
        // For GAP + Linear, Grad-CAM's weights are fc.weight[t] / (h·w): the map sums to logit − bias.
        Tensor logits;
        using (no_grad()) logits = model.call(x);
        var fc = (Linear)Module(model, "fc");
        var expected = logits[.., 3] - fc.bias![3];
        var actual = cam.Value.sum([1, 2, 3]);
        Assert.True(allclose(actual, expected, rtol: 1e-9, atol: 1e-9), $"{actual.str()} vs {expected.str()}");
        Assert.Equal(0, HookCounter.Count(model));
    }

    [Fact]
    public void Activations_captured_inside_a_block_are_not_corrupted_by_in_place_operations()
    {
        using var scope = NewDisposeScope();
        var model = Model();
        var x = randn(1, 3, 64, 64, dtype: ScalarType.Float64);
        using var bn2 = Explain(model).At("layer3.0.bn2").With(LayerActivation.Default).Attribute(x);
        using var blockInput = Explain(model).At("layer2").With(LayerActivation.Default).Attribute(x);
        Tensor expected;
        using (no_grad())
        {
            // Recompute conv1 → bn1 → relu1 → conv2 → bn2 of the block by hand (relu1 is in-place; that is fine here).
            var h = Module(model, "layer3.0.relu1").call(Module(model, "layer3.0.bn1").call(Module(model, "layer3.0.conv1").call(blockInput.Value)));
            expected = Module(model, "layer3.0.bn2").call(Module(model, "layer3.0.conv2").call(h));
        }
        Assert.True(allclose(bn2.Value, expected, rtol: 1e-12, atol: 1e-12));
        Assert.True((bn2.Value < 0).any().item<bool>(), "bn2's output was overwritten by the block's in-place add_().relu_()");
        // The value survives the model's own dispose scope.
        Assert.False(bn2.Value.IsInvalid);
        Assert.Equal(0, HookCounter.Count(model));
    }

    [Fact]
    public void Layer_integrated_gradients_inject_inside_a_basic_block()
    {
        using var scope = NewDisposeScope();
        var model = Model();
        var x = randn(1, 3, 32, 32, dtype: ScalarType.Float64);
        var baseline = zeros_like(x);
        const string layer = "layer3.0.conv2";
        using var lig = Explain(model).For(2).At(layer).With(LayerIntegratedGradients.Steps(128).Quadrature(Quadrature.RiemannTrapezoid)).Attribute(x);
        using var conv2AtBaseline = Explain(model).At(layer).With(LayerActivation.Default).Attribute(baseline);
        Assert.Equal(conv2AtBaseline.Value.shape, lig.Value.shape);

        // IG in layer space is complete for G(l) = F(x with conv2's output := l): Σ attributions ≈ G(conv2(x)) − G(conv2(b)).
        // G(conv2(b)) comes from injecting conv2(b) with LayerFeatureAblation (one group holding every neuron).
        var oneGroup = zeros(conv2AtBaseline.Value.shape, dtype: ScalarType.Int64);
        using var ablation = Explain(model).For(2).At(layer)
            .With(LayerFeatureAblation.Default.Mask(oneGroup).Baseline(conv2AtBaseline.Value)).Attribute(x);
        double expected = ablation.Value.flatten()[0].item<double>();
        double actual = lig.Value.sum().item<double>();
        Assert.True(Math.Abs(actual - expected) <= 0.02 * Math.Abs(expected) + 1e-6, $"Σ LIG = {actual}, G(conv2(x)) − G(conv2(b)) = {expected}");
        Assert.True(lig.Value.abs().sum().item<double>() > 0);
        Assert.Equal(0, HookCounter.Count(model));
    }

    [Fact]
    public void Layer_gradients_flow_through_in_place_block_endings()
    {
        using var scope = NewDisposeScope();
        var model = Model();
        var x = randn(2, 3, 64, 64, dtype: ScalarType.Float64);
        using var gxa = Explain(model).For(1).At("layer3.0.bn2").With(LayerGradientXActivation.Default).Attribute(x);
        using var cond = Explain(model).For(1).At("layer3.1.relu1").With(LayerConductance.Steps(8).ReturnDelta()).Attribute(x);
        Assert.Equal([2L, 256, 4, 4], gxa.Value.shape);
        Assert.False(gxa.Value.isnan().any().item<bool>());
        Assert.True(gxa.Value.abs().sum().item<double>() > 0);
        Assert.False(cond.Value.isnan().any().item<bool>());
        Assert.Equal(0, HookCounter.Count(model));
    }

    [Fact]
    public void Unknown_path_lists_the_nearest_existing_paths()
    {
        using var scope = NewDisposeScope();
        var model = Model();
        var e = Assert.Throws<ArgumentException>(() => Explain(model).At("layer4.1.conv3"));
        Assert.Contains("'layer4.1.conv3'", e.Message);
        Assert.Contains("'layer4.1.conv2'", e.Message);
        Assert.Contains("'layer4.1.conv1'", e.Message);
    }

    [Fact]
    public void Neuron_outside_the_layer_shape_names_the_layer_and_its_shape()
    {
        using var scope = NewDisposeScope();
        var model = Model();
        var x = randn(1, 3, 64, 64, dtype: ScalarType.Float64);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Explain(model).At("layer4").Neuron(512, 0, 0).With(NeuronGradient.Default).Attribute(x));
        Assert.Contains("layer4", e.Message);
        Assert.Contains("(512, 2, 2)", e.Message);
        Assert.Equal(0, HookCounter.Count(model));
        using var ok = Explain(model).At("layer4").Neuron(511, 1, ^1).With(NeuronGradient.Default).Attribute(x);
        Assert.Equal(x.shape, ok.Value.shape);
    }
}
