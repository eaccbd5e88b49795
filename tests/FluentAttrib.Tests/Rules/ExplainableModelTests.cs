using FluentAttrib.Architectures;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Rules;

/// <summary>The explainable architectures load TorchVision's state dict and compute the same function.</summary>
public class ExplainableModelTests(ITestOutputHelper output)
{
    /// <summary>Random BatchNorm statistics and affine parameters, so the comparison exercises them.</summary>
    internal static void RandomizeBatchNorms(nn.Module model, long seed)
    {
        using var _ = no_grad();
        using var g = new Generator((ulong)seed);
        foreach (var (_, m) in model.named_modules())
            if (m is TorchSharp.Modules.BatchNorm2d bn)
            {
                bn.running_mean!.copy_(randn(bn.running_mean.shape, generator: g) * 0.1);
                bn.running_var!.copy_(rand(bn.running_var.shape, generator: g) + 0.5);
                bn.weight.copy_(rand(bn.weight.shape, generator: g) + 0.5);
                bn.bias!.copy_(randn(bn.bias.shape, generator: g) * 0.1);
            }
    }

    private void AssertSameFunction(nn.Module<Tensor, Tensor> torchvision, nn.Module<Tensor, Tensor> explainable, Tensor x)
    {
        var tvState = torchvision.state_dict();
        var exState = explainable.state_dict();
        Assert.Equal(tvState.Keys.Order(), exState.Keys.Order());
        foreach (var (k, t) in tvState)
        {
            Assert.True(t.shape.SequenceEqual(exState[k].shape), k);
            Assert.True((t == exState[k]).all().item<bool>(), $"{k} differs after loading");
        }
        using var _ = no_grad();
        var expected = torchvision.call(x);
        var actual = explainable.call(x);
        double diff = (expected - actual).abs().max().item<float>();
        double scale = expected.abs().max().item<float>();
        output.WriteLine($"{explainable.GetName()}: max |Δ| = {diff:G3} (outputs up to {scale:G3})");
        Assert.True(diff <= 1e-5 * Math.Max(1, scale), $"outputs differ by {diff}");
    }

    [Theory]
    [InlineData("resnet18")]
    [InlineData("resnet34")]
    [InlineData("resnet50")]
    public void ResNet_from_torchvision_computes_the_same_function(string name)
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        TorchSharp.Modules.ResNet tv = name switch
        {
            "resnet18" => torchvision.models.resnet18(num_classes: 10),
            "resnet34" => torchvision.models.resnet34(num_classes: 10),
            _ => torchvision.models.resnet50(num_classes: 10),
        };
        RandomizeBatchNorms(tv, 3);
        tv.eval();
        var ex = ExplainableResNet.From(tv);
        Assert.False(ex.training);
        Assert.Equal(name == "resnet50" ? ResNetBlock.Bottleneck : ResNetBlock.Basic, ex.Block);
        AssertSameFunction(tv, ex, randn(2, 3, 64, 64));
    }

    [Fact]
    public void Vgg_from_torchvision_computes_the_same_function()
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        var tv = torchvision.models.vgg11_bn(num_classes: 10);
        RandomizeBatchNorms(tv, 5);
        tv.eval();
        var ex = ExplainableVgg.From(tv);
        Assert.True(ex.BatchNorm);
        Assert.Equal("64,0,128,0,256,256,0,512,512,0,512,512,0", string.Join(",", ex.Configuration));
        var x = randn(2, 3, 32, 32);
        AssertSameFunction(tv, ex, x);

        // TorchVision's VGG has every ReLU as a module (in place): the rule methods work on it directly and agree.
        foreach (var method in new AttributionMethod[] { DeepLift.Default.Baseline(0.1), GuidedBackprop.Default, Deconvolution.Default })
        {
            using var onTorchVision = Fluent.Explain(tv).For(3).With(method).Attribute(x);
            using var onExplainable = Fluent.Explain(ex).For(3).With(method).Attribute(x);
            double diff = (onTorchVision.Value - onExplainable.Value).abs().max().item<float>();
            double scale = onExplainable.Value.abs().max().item<float>();
            output.WriteLine($"{method.Name} on TorchVision's VGG vs ExplainableVgg: max |Δ| = {diff:G3} (values up to {scale:G3})");
            Assert.True(diff <= 1e-5 * Math.Max(scale, 1e-12), method.Name);
        }
        tv.Dispose();
        ex.Dispose();
    }

    [Fact]
    public void Every_activation_and_addition_is_a_module()
    {
        using var scope = NewDisposeScope();
        var ex = ExplainableResNet.ResNet18();
        var modules = ex.named_modules().Select(m => m.module).ToList();
        Assert.Equal(17, modules.OfType<TorchSharp.Modules.ReLU>().Count());
        Assert.Equal(8, modules.OfType<Addition>().Count());
        Assert.All(modules.OfType<TorchSharp.Modules.ReLU>(), r => Assert.False(r.inplace));
    }

    [Fact]
    public void A_state_dict_that_does_not_fit_is_rejected_with_the_names()
    {
        using var scope = NewDisposeScope();
        var state = ExplainableResNet.ResNet18(numClasses: 5).state_dict();
        state.Remove("layer2.0.downsample.1.running_var");
        var e = Assert.Throws<ArgumentException>(() => ExplainableResNet.FromStateDict(state));
        Assert.Contains("layer2.0.downsample.1.running_var", e.Message);
        Assert.Throws<ArgumentException>(() => ExplainableResNet.FromStateDict(new Dictionary<string, Tensor>()));
    }
}
