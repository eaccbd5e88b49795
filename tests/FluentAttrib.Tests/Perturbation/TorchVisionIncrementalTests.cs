using FluentAttrib.Core.Incremental;
using TorchSharp;
using TorchSharp.Modules;
using static FluentAttrib.Fluent;
using static FluentAttrib.Tests.Perturbation.PerturbationTestKit;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FluentAttrib.Tests.Perturbation;

/// <summary>
/// Incremental occlusion and feature ablation on TorchSharp's own TorchVision networks (no conversion): the path is
/// taken (the attribution's description says so) and equals plain batched evaluation.
/// </summary>
public class TorchVisionIncrementalTests
{
    private static readonly object Seeding = new();

    private static T Create<T>(int seed, Func<T> create) where T : Module
    {
        lock (Seeding)
        {
            TorchRuntime.EnsureLoaded();
            torch.random.manual_seed(seed);
            var model = create();
            using var g = new Generator((ulong)seed);
            using (no_grad())
            {
                // Random BatchNorm statistics, so that BatchNorm is not close to the identity.
                foreach (var (_, m) in model.named_modules())
                    if (m is BatchNorm2d bn)
                    {
                        bn.running_mean!.copy_(randn(bn.running_mean.shape, generator: g) * 0.2);
                        bn.running_var!.copy_(rand(bn.running_var.shape, generator: g) + 0.5);
                        bn.weight!.copy_(rand(bn.weight.shape, generator: g) + 0.5);
                        bn.bias!.copy_(randn(bn.bias.shape, generator: g) * 0.1);
                    }
            }
            model.eval();
            return model;
        }
    }

    /// <summary>Plain and incremental occlusion agree, and the incremental one ran (forced, whatever it saves).</summary>
    private static void AssertIncrementalOcclusion(Module<Tensor, Tensor> model, Tensor x, int target, long window, long stride, int perPass)
    {
        var occlusion = Occlusion.Window(3, window, window).Stride(3, stride, stride).PerturbationsPerPass(perPass);
        using var plain = Explain(model).For(target).With(occlusion.Incremental(false)).Attribute(x);
        using var incremental = Explain(model).For(target).With(occlusion with { MinimumIncrementalGain = 0 }).Attribute(x);
        Assert.Contains("— incremental (", incremental.Method);
        Assert.DoesNotContain("incremental", plain.Method.Replace("not incremental", ""));
        AssertSame(model, x, plain.Value, incremental.Value);
    }

    /// <summary>
    /// Within float32 rounding of the model's outputs: attributions are differences of outputs, so the tolerance is
    /// relative to the larger of the attributions and the logits.
    /// </summary>
    private static void AssertSame(Module<Tensor, Tensor> model, Tensor x, Tensor expected, Tensor actual)
    {
        double logits;
        using (no_grad()) logits = model.call(x).abs().max().to(ScalarType.Float64).item<double>();
        double scale = Math.Max(expected.abs().max().to(ScalarType.Float64).item<double>(), logits);
        Assert.True(expected.abs().max().to(ScalarType.Float64).item<double>() > 0, "the attributions are all zero: the test would prove nothing");
        try
        {
            AssertClose(expected, actual, atol: 2e-5 * scale, rtol: 1e-4);
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message} (max |attribution| {expected.abs().max().to(ScalarType.Float64).item<double>():G3}, max |logit| {logits:G3})");
        }
    }

    [Fact]
    public void Resnet18_basic_blocks_with_functional_relus_and_downsample()
    {
        var model = Create(21, () => torchvision.models.resnet18(num_classes: 10));
        var graph = ConvGraph.Analyze(model);
        Assert.NotNull(graph);
        Assert.Equal(8, graph.Nodes.Count(n => n.Kind == NodeKind.Add));
        Assert.Equal(8, graph.Nodes.Count(n => n.Function is not null)); // the ReLU after each addition
        Assert.Equal(20, graph.Nodes.Count(n => n.Kind == NodeKind.Conv));
        Assert.Null(graph.TailConvolution);
        var x = Data(31, ScalarType.Float32, 2, 3, 64, 64);
        AssertIncrementalOcclusion(model, x, 3, 16, 12, perPass: 4); // several copies per pass, clipped last windows
    }

    [Fact]
    public void Resnet18_is_incremental_by_default_at_the_benchmark_setting()
    {
        var model = Create(22, () => torchvision.models.resnet18(num_classes: 10));
        // The benchmark's image and window (45×45 on 224×224; stride 45 rather than 9 to keep the test short: the same
        // fields, 25 windows), where the planned saving (about 2.2×) is above IncrementalEvaluator.MinimumGain.
        var x = Data(32, ScalarType.Float32, 1, 3, 224, 224);
        var occlusion = Occlusion.Window(3, 45, 45).Stride(3, 45, 45);
        using var incremental = Explain(model).For(1).With(occlusion).Attribute(x); // no forcing: it saves enough
        Assert.Contains("— incremental (", incremental.Method);
        using var plain = Explain(model).For(1).With(occlusion.Incremental(false)).Attribute(x);
        AssertSame(model, x, plain.Value, incremental.Value);
    }

    [Fact]
    public void Resnet50_bottlenecks()
    {
        var model = Create(23, () => torchvision.models.resnet50(num_classes: 10));
        var graph = ConvGraph.Analyze(model)!;
        Assert.Equal(16, graph.Nodes.Count(n => n.Kind == NodeKind.Add));
        Assert.Equal(53, graph.Nodes.Count(n => n.Kind == NodeKind.Conv));
        var x = Data(33, ScalarType.Float32, 1, 3, 48, 48);
        AssertIncrementalOcclusion(model, x, 2, 16, 16, perPass: 3);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Vgg11_with_and_without_batch_norm(bool batchNorm)
    {
        var model = Create(24, () => batchNorm ? torchvision.models.vgg11_bn(num_classes: 10) : torchvision.models.vgg11(num_classes: 10));
        var graph = ConvGraph.Analyze(model)!;
        Assert.Equal(8, graph.Nodes.Count(n => n.Kind == NodeKind.Conv));
        Assert.Equal(5, graph.Nodes.Count(n => n.Kind == NodeKind.MaxPool));
        var x = Data(34, ScalarType.Float32, 1, 3, 48, 48);
        AssertIncrementalOcclusion(model, x, 4, 12, 12, perPass: 4);
        model.Dispose();
    }

    [Fact]
    public void Alexnet()
    {
        var model = Create(25, () => torchvision.models.alexnet(num_classes: 10));
        Assert.Equal(5, ConvGraph.Analyze(model)!.Nodes.Count(n => n.Kind == NodeKind.Conv));
        var x = Data(35, ScalarType.Float32, 2, 3, 80, 80);
        AssertIncrementalOcclusion(model, x, 5, 20, 20, perPass: 4);
        model.Dispose();
    }

    [Fact]
    public void Mobilenet_v2_depthwise_convolutions_inverted_residuals_and_relu6()
    {
        var model = Create(26, () => torchvision.models.mobilenet_v2(num_classes: 10));
        var graph = ConvGraph.Analyze(model)!;
        Assert.Equal(10, graph.Nodes.Count(n => n.Kind == NodeKind.Add)); // the stride-1 blocks with equal channels
        Assert.Contains(graph.Nodes, n => n.Conv is { groups: > 1 });
        Assert.Null(graph.TailConvolution);
        var x = Data(36, ScalarType.Float32, 1, 3, 64, 64);
        AssertIncrementalOcclusion(model, x, 6, 16, 16, perPass: 4);
    }

    [Fact]
    public void Mobilenet_v3_large_is_analysed_up_to_its_first_squeeze_excitation_and_stays_exact()
    {
        var model = Create(27, () => torchvision.models.mobilenet_v3_large());
        var graph = ConvGraph.Analyze(model)!;
        Assert.NotNull(graph.TailConvolution); // squeeze-excitation pools globally: the graph ends there
        Assert.Contains(graph.Nodes, n => n.Module is Hardswish);
        // In float64: with random weights this network is so ill-conditioned that float32 rounding alone (box versus
        // full-map convolutions) moves its nearly constant outputs by more than the occlusion does.
        model.to(ScalarType.Float64);
        var x = Data(37, ScalarType.Float64, 1, 3, 64, 64);
        AssertIncrementalOcclusion(model, x, 7, 16, 16, perPass: 4);
    }

    [Fact]
    public void Feature_ablation_with_superpixels_on_resnet18()
    {
        var model = Create(28, () => torchvision.models.resnet18(num_classes: 10));
        var x = Data(38, ScalarType.Float32, 1, 3, 64, 64);
        var cells = arange(64).div(8, rounding_mode: RoundingMode.floor);
        var mask = (cells.unsqueeze(1) * 8 + cells.unsqueeze(0)).reshape(1, 1, 64, 64); // 64 superpixels of 8×8
        var ablation = FeatureAblation.Default.Mask(mask).PerturbationsPerPass(4);
        using var plain = Explain(model).For(3).With(ablation.Incremental(false)).Attribute(x);
        using var incremental = Explain(model).For(3).With(ablation with { MinimumIncrementalGain = 0 }).Attribute(x);
        Assert.Contains("— incremental (", incremental.Method);
        AssertSame(model, x, plain.Value, incremental.Value);
    }

    /// <summary>
    /// A ResNet of another stage layout needs a block class of its own (TorchSharp's is not public), as the pretrained
    /// backbone of FluentAttrib.Pretrained ([2, 2, 2, 3]) has: a block written as TorchVision's is analysed through, up to
    /// the head, and stays exact.
    /// </summary>
    [Fact]
    public void A_resnet_of_another_layout_with_its_own_torchvision_style_blocks_is_analysed_through()
    {
        var model = Create(31, () => new TorchSharp.Modules.ResNet("ResNet[1,1,1,2]",
            (inPlanes, planes, stride, downsample, groups, baseWidth, dilation, normLayer) => new BasicBlock(inPlanes, planes, stride, downsample),
            1, [1, 1, 1, 2], 10));
        var graph = ConvGraph.Analyze(model);
        Assert.NotNull(graph);
        Assert.Null(graph!.TailConvolution);
        var x = Data(32, ScalarType.Float32, 1, 3, 64, 64);
        AssertIncrementalOcclusion(model, x, 2, 16, 8, perPass: 3);
    }

    /// <summary>TorchVision's basic block as an application writes it (final ReLU applied functionally).</summary>
    private sealed class BasicBlock : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> conv1, bn1, relu1, conv2, bn2;
        private readonly Module<Tensor, Tensor>? downsample;

        public BasicBlock(long inPlanes, long planes, long stride, Module<Tensor, Tensor>? downsample) : base(nameof(BasicBlock))
        {
            conv1 = Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false);
            bn1 = BatchNorm2d(planes);
            relu1 = ReLU();
            conv2 = Conv2d(planes, planes, 3, padding: 1, bias: false);
            bn2 = BatchNorm2d(planes);
            this.downsample = downsample;
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            var x = bn2.call(conv2.call(relu1.call(bn1.call(conv1.call(input)))));
            return (x + (downsample is null ? input : downsample.call(input))).relu();
        }
    }

    /// <summary>
    /// Occlusion 45/9 on a 112×112 image: the windows cover most of the late feature maps, the planned saving (1.3×)
    /// is below <see cref="IncrementalEvaluator.MinimumGain"/> (at that saving the incremental path ran 1.6× slower
    /// than plain batched evaluation), so the call runs plain and its description says why.
    /// </summary>
    [Fact]
    public void Small_inputs_fall_back_to_plain_evaluation_and_say_why()
    {
        var model = Create(33, () => torchvision.models.resnet18(num_classes: 10));
        var x = Data(34, ScalarType.Float32, 1, 3, 112, 112);
        var cost = IncrementalCost.ForOcclusion(model, x.shape, [3, 45, 45], [3, 9, 9]);
        Assert.NotNull(cost);
        Assert.True(cost.Value.Full / cost.Value.Planned < IncrementalEvaluator.MinimumGain, $"planned saving {cost.Value.Full / cost.Value.Planned:F2}×");
        using var attribution = Explain(model).For(1).With(Occlusion.Window(3, 45, 45).Stride(3, 9, 9)).Attribute(x);
        Assert.Contains("not incremental: it would save only", attribution.Method);
        Assert.Contains($"at least {IncrementalEvaluator.MinimumGain:G3}× is needed", attribution.Method);
    }

    [Fact]
    public void Where_the_path_cannot_apply_the_description_says_why()
    {
        var model = Create(29, () => torchvision.models.resnet18(num_classes: 10));
        var x = Data(39, ScalarType.Float32, 1, 3, 64, 64);
        var occlusion = Occlusion.Window(3, 16, 16).Stride(3, 16, 16);
        model.train();
        using (var training = Explain(model).For(1).With(occlusion).WithTrainingMode().Attribute(x))
            Assert.Contains("not incremental: the model (or one of its modules) is in training mode", training.Method);
        model.eval();
        // A window as large as the image leaves nothing to skip.
        using (var whole = Explain(model).For(1).With(Occlusion.Window(3, 64, 64)).Attribute(x))
            Assert.Contains("not incremental: it would save only", whole.Method);
        // A hook that changes an output: the structure no longer describes the forward.
        var hook = ((Conv2d)model.named_modules().First(m => m.module is Conv2d).module).register_forward_hook((m, i, o) => o * 2);
        using (var hooked = Explain(model).For(1).With(occlusion with { MinimumIncrementalGain = 0 }).Attribute(x))
            Assert.True(hooked.Method.Contains("not incremental: the model's output on the clean input differs"), hooked.Method);
        hook.remove();
    }
}
