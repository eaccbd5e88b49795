using TorchSharp;
using Xunit.Abstractions;
using static FluentAttrib.Fluent;
using static FluentAttrib.Tests.Rules.RulesTestKit;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FluentAttrib.Tests.Rules;

/// <summary>Layer and neuron forms of the rule-based methods, and Guided Grad-CAM, on real architectures.</summary>
public class LayerRuleTests(ITestOutputHelper output)
{
    [Fact]
    public void Layer_and_neuron_forms_leave_the_model_unchanged()
    {
        using var scope = NewDisposeScope();
        var model = ResNet18();
        var x = Data(1, ScalarType.Float32, 2, 3, 32, 32);
        var dist = Data(2, ScalarType.Float32, 3, 3, 32, 32);
        using var snapshot = new Snapshot(model);
        var explain = Explain(model).For(Target.PerExample(1, 4));
        foreach (var (layer, method) in new (string, LayerAttributionMethod)[]
        {
            ("layer2.0.relu2", LayerDeepLift.Default.Baseline(0.1).ReturnDelta()),
            ("layer2.0.conv1", LayerDeepLiftShap.BaselineDistribution(dist).ReturnDelta()),
            ("layer3.1.conv2", LayerLrp.Default.Rule<TorchSharp.Modules.Conv2d>(LrpRule.Gamma()).ReturnDelta()),
        })
        {
            using var a = explain.At(layer).With(method).Attribute(x);
            Assert.False(a.Value.isnan().any().item<bool>(), method.Name);
        }
        foreach (var method in new NeuronAttributionMethod[]
            { NeuronDeepLift.Default, NeuronDeepLiftShap.BaselineDistribution(dist), NeuronGuidedBackprop.Default, NeuronDeconvolution.Default })
        {
            using var a = Explain(model).At("layer3.0.bn2").Neuron(5, 1, 1).With(method).Attribute(x);
            Assert.Equal(x.shape, a.Value.shape);
        }
        using (var ggc = explain.With(GuidedGradCam.At("layer4").Interpolation(InterpolationMode.Bilinear)).Attribute(x))
            Assert.Equal(x.shape, ggc.Value.shape);
        snapshot.AssertUnchanged();
    }

    /// <summary>At layers every path to the output goes through (the stem, a block or stage output), the sums hold.</summary>
    [Fact]
    public void Layer_DeepLift_and_LayerLRP_are_complete_at_layers_that_cut_the_network()
    {
        using var scope = NewDisposeScope();
        var model = ResNet18(ScalarType.Float64);
        var x = Data(3, ScalarType.Float64, 2, 3, 32, 32);
        var b = Data(4, ScalarType.Float64, 2, 3, 32, 32) * 0.3;
        foreach (var layer in new[] { "layer1.1.relu2", "layer3", "layer4" })
        {
            using var a = Explain(model).For(2).At(layer).With(LayerDeepLift.Default.Baseline(b).CaptumQuirks(false).ReturnDelta()).Attribute(x);
            double err = a.Delta!.abs().max().ToDouble();
            output.WriteLine($"LayerDeepLift at {layer}: |Σ attr − ΔF| ≤ {err:G3}");
            Assert.True(err < 1e-9, $"{layer}: {err}");
        }
        var plain = ResNet18(ScalarType.Float64, biases: false, randomBatchNorm: false);
        foreach (var layer in new[] { "maxpool", "avgpool" })
        {
            using var a = Explain(plain).For(2).At(layer).With(LayerLrp.Default.ReturnDelta()).Attribute(x);
            double rel = a.Delta!.abs().max().ToDouble() / plain.call(x)[.., 2].abs().max().ToDouble();
            output.WriteLine($"LayerLRP at {layer} (no biases): |F(x) − Σ R| / |F(x)| = {rel:G3}");
            Assert.True(rel < 1e-6, $"{layer}: {rel}");
        }
    }

    [Fact]
    public void LayerLrp_needs_a_layer_with_a_propagation_rule()
    {
        using var scope = NewDisposeScope();
        var model = Mlp();
        var e = Assert.Throws<ArgumentException>(() =>
            Explain(model).For(0).At("relu1").With(LayerLrp.Default).Attribute(Data(1, ScalarType.Float64, 2, 6)));
        Assert.Contains("'relu1'", e.Message);
        Assert.Equal(0, HookCount(model));
    }

    /// <summary>head(cat(conv-branch(image), features)) with a (B, 3) second input.</summary>
    private sealed class ImageAndTable : Module<Tensor, Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> conv;
        private readonly Module<Tensor, Tensor> relu;
        private readonly Module<Tensor, Tensor> head;

        public ImageAndTable() : base(nameof(ImageAndTable))
        {
            conv = Conv2d(1, 2, 3, padding: 1);
            relu = ReLU();
            head = Linear(2 * 4 * 4 + 3, 2);
            RegisterComponents();
        }

        public override Tensor forward(Tensor image, Tensor table) =>
            head.call(cat([relu.call(conv.call(image)).flatten(1), table], 1));
    }

    [Fact]
    public void GuidedGradCam_leaves_inputs_it_cannot_interpolate_to_empty_and_says_so()
    {
        using var scope = NewDisposeScope();
        var model = new ImageAndTable();
        model.to(ScalarType.Float64);
        var image = Data(5, ScalarType.Float64, 2, 1, 4, 4);
        var table = Data(6, ScalarType.Float64, 2, 3);
        using var a = Explain(model).For(1).With(GuidedGradCam.At("conv")).Attribute(image, table);
        Assert.Equal(image.shape, a.Values[0].shape);
        Assert.Equal(0, a.Values[1].numel());
        Assert.Contains("input 1", a.Method);
        Assert.Equal(0, HookCount(model));

        var mlp = Mlp();
        var none = Assert.Throws<ArgumentException>(() => Explain(mlp).For(0).With(GuidedGradCam.At("fc2")).Attribute(Data(1, ScalarType.Float64, 2, 6)));
        Assert.Contains("cannot upsample", none.Message);
        Assert.Equal(0, HookCount(mlp));
    }
}
