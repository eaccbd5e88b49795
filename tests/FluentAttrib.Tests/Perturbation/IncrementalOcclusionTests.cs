using FluentAttrib.Core;
using FluentAttrib.Core.Incremental;
using FluentAttrib.Core.Perturbation;
using FluentAttrib.Architectures;
using TorchSharp;
using TorchSharp.Modules;
using static FluentAttrib.Fluent;
using static FluentAttrib.Tests.Perturbation.PerturbationTestKit;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FluentAttrib.Tests.Perturbation;

/// <summary>Incremental occlusion (recomputing only projective fields) equals plain occlusion.</summary>
public class IncrementalOcclusionTests
{
    private static readonly object Seeding = new();

    /// <summary>A random small convolutional network on (C, H, W) inputs, with its description.</summary>
    internal static (Sequential Model, string Description) RandomNet(int seed, long channels, long height, long width, ScalarType dtype)
    {
        lock (Seeding)
        {
            TorchRuntime.EnsureLoaded();
            var rng = new Random(seed);
            torch.random.manual_seed(seed);
            var layers = new List<(string, Module<Tensor, Tensor>)>();
            var parts = new List<string>();
            long c = channels, h = height, w = width;
            int count = rng.Next(2, 6);
            for (int i = 0; i < count; i++)
            {
                int kind = i == 0 ? 0 : rng.Next(6);
                if (kind <= 1)
                {
                    long k = rng.Next(1, 5), s = rng.Next(1, 3), d = k > 1 && rng.Next(4) == 0 ? 2 : 1;
                    long span = d * (k - 1) + 1;
                    long p = rng.Next(0, (int)Math.Min(span, 3));
                    if (h + 2 * p < span || w + 2 * p < span) continue;
                    long outC = rng.Next(2, 7);
                    long g = c % 2 == 0 && outC % 2 == 0 && rng.Next(3) == 0 ? 2 : 1;
                    layers.Add(($"conv{i}", Conv2d(c, outC, k, stride: s, padding: p, dilation: d, groups: g, bias: rng.Next(2) == 0)));
                    parts.Add($"conv(k{k} s{s} p{p} d{d} g{g})");
                    c = outC;
                    h = (h + 2 * p - span) / s + 1;
                    w = (w + 2 * p - span) / s + 1;
                    if (rng.Next(2) == 0)
                    {
                        var bn = BatchNorm2d(c);
                        using (no_grad())
                        {
                            bn.running_mean!.copy_(randn(c) * 0.3);
                            bn.running_var!.copy_(rand(c) + 0.5);
                            bn.weight!.copy_(rand(c) + 0.5);
                            bn.bias!.copy_(randn(c) * 0.2);
                        }
                        layers.Add(($"bn{i}", bn));
                        parts.Add("bn");
                    }
                    Module<Tensor, Tensor> act = rng.Next(3) switch { 0 => ReLU(), 1 => LeakyReLU(0.1), _ => Tanh() };
                    layers.Add(($"act{i}", act));
                    parts.Add(act.GetName());
                }
                else if (kind == 2 && h >= 2 && w >= 2)
                {
                    long k = rng.Next(2, 4), s = rng.Next(1, 3), p = rng.Next(0, (int)(k / 2) + 1);
                    if (h + 2 * p < k || w + 2 * p < k) continue;
                    layers.Add(($"pool{i}", MaxPool2d(k, stride: s, padding: p)));
                    parts.Add($"maxpool(k{k} s{s} p{p})");
                    h = (h + 2 * p - k) / s + 1;
                    w = (w + 2 * p - k) / s + 1;
                }
                else if (kind == 3 && h >= 2 && w >= 2)
                {
                    long k = 2, s = rng.Next(1, 3), p = rng.Next(0, 2);
                    bool include = rng.Next(2) == 0 || p == 0;
                    layers.Add(($"avg{i}", AvgPool2d(k, stride: s, padding: p, count_include_pad: include)));
                    parts.Add($"avgpool(k{k} s{s} p{p}{(include ? "" : " excl")})");
                    h = (h + 2 * p - k) / s + 1;
                    w = (w + 2 * p - k) / s + 1;
                }
                else
                {
                    long planes = rng.Next(2, 6), s = h >= 3 && w >= 3 && rng.Next(2) == 0 ? 2 : 1;
                    Sequential? downsample = s != 1 || planes != c ? Sequential(Conv2d(c, planes, 1, stride: s, bias: false), BatchNorm2d(planes)) : null;
                    layers.Add(($"block{i}", new ExplainableBasicBlock(c, planes, s, downsample)));
                    parts.Add($"block(s{s}{(downsample is null ? "" : " ds")})");
                    c = planes;
                    h = (h - 1) / s + 1;
                    w = (w - 1) / s + 1;
                }
            }
            layers.Add(("gap", AdaptiveAvgPool2d(2)));
            layers.Add(("flat", Flatten()));
            layers.Add(("fc", Linear(c * 4, 3)));
            var model = Sequential(layers);
            using (no_grad())
            {
                foreach (var (name, m) in model.named_modules())
                    if (m is BatchNorm2d bn && bn.running_mean!.abs().sum().item<float>() == 0)
                    {
                        bn.running_mean.copy_(randn(bn.running_mean.shape) * 0.3);
                        bn.running_var!.copy_(rand(bn.running_var.shape) + 0.5);
                    }
            }
            model.to(dtype);
            model.eval();
            return (model, string.Join(" → ", parts));
        }
    }

    private static AttributionContext Context(Module<Tensor, Tensor> model, Tensor x, Target target) => new()
    {
        Forward = new ForwardFunction(a => model.call(a[0]), null, model, model.GetName()),
        Inputs = [x],
        Target = target,
    };

    private static Occlusion Forced(Occlusion o) => o with { MinimumIncrementalGain = 0 };

    /// <summary>
    /// The incremental path ran (the attribution's description says so): without this, a silent fallback to plain
    /// evaluation would make an incremental-equals-plain test compare plain with plain.
    /// </summary>
    internal static void AssertIncremental(Attribution incremental, string? what = null) =>
        Assert.True(incremental.Method.Contains("— incremental (", StringComparison.Ordinal),
            $"{(what is null ? "" : what + ": ")}the incremental path did not run: {incremental.Method}");

    /// <summary>The plain reference really is plain: no incremental note, only the "not incremental" setting.</summary>
    internal static void AssertPlain(Attribution plain) =>
        Assert.DoesNotContain("incremental", plain.Method.Replace("not incremental", "", StringComparison.Ordinal), StringComparison.Ordinal);

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Random_networks_and_windows_equal_plain_occlusion(ScalarType dtype)
    {
        var rng = new Random(dtype == ScalarType.Float32 ? 1 : 2);
        int cases = 0;
        for (int seed = 0; cases < 30; seed++)
        {
            long channels = rng.Next(1, 4), height = rng.Next(5, 17), width = rng.Next(5, 17), batch = rng.Next(1, 3);
            var (model, description) = RandomNet(seed * 7 + (int)dtype, channels, height, width, dtype);
            var x = Data(seed, dtype, batch, channels, height, width);
            long wc = rng.Next(1, (int)channels + 1);
            long wh = rng.Next(4) == 0 ? height : rng.Next(1, (int)height + 1);
            long ww = rng.Next(4) == 0 ? width : rng.Next(1, (int)width + 1);
            long sh = rng.Next(3) == 0 ? 1 : rng.Next(1, (int)wh + 1), sw = rng.Next(3) == 0 ? 1 : rng.Next(1, (int)ww + 1);
            var occlusion = Occlusion.Window(wc, wh, ww).Stride(1, sh, sw).Baseline(rng.NextDouble() - 0.5);
            if (rng.Next(2) == 0) occlusion = occlusion.PerturbationsPerPass(rng.Next(1, 9));
            Target target = batch == 1 ? rng.Next(3) : new[] { rng.Next(3), rng.Next(3) };
            string what = $"case {cases}: {description}; input {batch}×{channels}×{height}×{width}, window {wc}×{wh}×{ww} stride {sh}×{sw}";

            using (var scope = NewDisposeScope())
            {
                var geometry = (new[] { channels, height, width }, new[] { wc, wh, ww }, new[] { 1L, sh, sw });
                var windows = new FluentAttrib.Core.Perturbation.SlidingWindows(geometry.Item1, geometry.Item2, geometry.Item3, x.device);
                using var evaluator = IncrementalEvaluator.TryCreate(Context(model, x, target), PerturbationRegions.Windows(geometry, windows), null, minimumGain: 0);
                Assert.True(evaluator is not null, what + ": the incremental path does not apply");
            }
            using var plain = Explain(model).For(target).With(occlusion.Incremental(false)).Attribute(x);
            using var incremental = Explain(model).For(target).With(Forced(occlusion)).Attribute(x);
            AssertPlain(plain);
            AssertIncremental(incremental, what);
            try
            {
                if (dtype == ScalarType.Float64) AssertClose(plain.Value, incremental.Value, atol: 1e-11, rtol: 1e-9);
                else AssertClose(plain.Value, incremental.Value, atol: 2e-5, rtol: 1e-4);
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException(what + ": " + e.Message);
            }
            cases++;
        }
    }

    private static void AssertCloseToScale(Tensor expected, Tensor actual, double relative)
    {
        double scale = Math.Max(1e-12, expected.abs().max().to(ScalarType.Float64).item<double>());
        AssertClose(expected, actual, atol: relative * scale, rtol: relative);
    }

    private static T Seeded<T>(int seed, Func<T> create)
    {
        lock (Seeding)
        {
            TorchRuntime.EnsureLoaded();
            torch.random.manual_seed(seed);
            return create();
        }
    }

    private static void RandomizeBatchNorm(Module model, int seed)
    {
        using var g = new Generator((ulong)seed);
        using var _ = no_grad();
        foreach (var (_, m) in model.named_modules())
            if (m is BatchNorm2d bn)
            {
                bn.running_mean!.copy_(randn(bn.running_mean.shape, generator: g) * 0.2);
                bn.running_var!.copy_(rand(bn.running_var.shape, generator: g) + 0.5);
                bn.weight!.copy_(rand(bn.weight.shape, generator: g) + 0.5);
                bn.bias!.copy_(randn(bn.bias.shape, generator: g) * 0.1);
            }
    }

    [Fact]
    public void Explainable_resnet18_equals_plain_occlusion()
    {
        var model = Seeded(3, () => ExplainableResNet.ResNet18(numClasses: 10));
        RandomizeBatchNorm(model, 3);
        model.eval();
        var x = Data(5, ScalarType.Float32, 2, 3, 64, 64);
        var occlusion = Occlusion.Window(3, 20, 20).Stride(3, 11, 11); // clipped last windows
        using var plain = Explain(model).For(new[] { 4, 7 }).With(occlusion.Incremental(false)).Attribute(x);
        using var incremental = Explain(model).For(new[] { 4, 7 }).With(Forced(occlusion)).Attribute(x);
        AssertPlain(plain);
        AssertIncremental(incremental);
        AssertCloseToScale(plain.Value, incremental.Value, 1e-4);
    }

    [Fact]
    public void Small_vgg_equals_plain_occlusion_in_float64_with_a_partial_channel_window()
    {
        var model = Seeded(4, () => new ExplainableVgg([8, 8, ExplainableVgg.MaxPool, 16, ExplainableVgg.MaxPool, 16, 16, ExplainableVgg.MaxPool],
            batchNorm: true, numClasses: 5, hidden: 16, pooledSize: 2));
        RandomizeBatchNorm(model, 4);
        model.to(ScalarType.Float64);
        model.eval();
        var x = Data(6, ScalarType.Float64, 1, 3, 64, 64);
        var occlusion = Occlusion.Window(1, 9, 9).Stride(1, 9, 9).Baseline(0.5);
        using var plain = Explain(model).For(2).With(occlusion.Incremental(false)).Attribute(x);
        using var incremental = Explain(model).For(2).With(occlusion).Attribute(x); // saves enough to be chosen by default
        AssertPlain(plain);
        AssertIncremental(incremental);
        AssertCloseToScale(plain.Value, incremental.Value, 1e-10);
    }

    /// <summary>An operation the analysis does not know (it mixes positions): the graph must end before it.</summary>
    private sealed class Flip : Module<Tensor, Tensor>
    {
        public Flip() : base(nameof(Flip)) { }
        public override Tensor forward(Tensor input) => input.flip(3) * 1.5;
    }

    [Fact]
    public void Unknown_module_ends_the_graph_and_results_stay_exact()
    {
        var model = Seeded(5, () => Sequential(
            ("conv1", Conv2d(2, 4, 3, padding: 1)), ("relu1", ReLU()), ("flip", new Flip()),
            ("conv2", Conv2d(4, 4, 3, stride: 2, padding: 1)), ("relu2", ReLU()),
            ("gap", AdaptiveAvgPool2d(1)), ("flat", Flatten()), ("fc", Linear(4, 3))));
        model.to(ScalarType.Float64);
        model.eval();
        var graph = ConvGraph.Analyze(model);
        Assert.NotNull(graph);
        Assert.Equal(3, graph.Nodes.Count); // input, conv1, relu1
        Assert.Equal(6, graph.Tail.Count); // flip, conv2, relu2, gap, flat, fc
        string method = IncrementalEqualsPlain(model, Data(7, ScalarType.Float64, 2, 2, 12, 12), Occlusion.Window(2, 3, 3).Stride(1, 2, 2));
        Assert.Contains("; analysed up to ", method); // the graph ends at Flip: conv2 runs in full
    }

    /// <summary>Forced-incremental and plain occlusion of a float64 model's output 1 agree; returns the incremental description.</summary>
    private static string IncrementalEqualsPlain(Sequential model, Tensor x, Occlusion occlusion)
    {
        using var plain = Explain(model).For(1).With(occlusion.Incremental(false)).Attribute(x);
        using var incremental = Explain(model).For(1).With(Forced(occlusion)).Attribute(x);
        AssertPlain(plain);
        AssertIncremental(incremental);
        AssertClose(plain.Value, incremental.Value, atol: 1e-12, rtol: 1e-9);
        return incremental.Method;
    }

    /// <summary>An unknown module that changes its input in place (so the graph's last activation is modified by the tail).</summary>
    private sealed class AddOneInPlace : Module<Tensor, Tensor>
    {
        public AddOneInPlace() : base(nameof(AddOneInPlace)) { }
        public override Tensor forward(Tensor input) => input.add_(1.0).alias(); // a handle of its own (Sequential disposes its input's)
    }

    [Fact]
    public void A_tail_that_changes_its_input_in_place_leaves_the_cached_activations_alone()
    {
        var model = Seeded(9, () => Sequential(
            ("conv1", Conv2d(2, 4, 3, padding: 1)), ("relu1", ReLU()), ("add", new AddOneInPlace()),
            ("gap", AdaptiveAvgPool2d(1)), ("flat", Flatten()), ("fc", Linear(4, 3))));
        model.to(ScalarType.Float64);
        model.eval();
        IncrementalEqualsPlain(model, Data(10, ScalarType.Float64, 1, 2, 12, 12), Occlusion.Window(2, 3, 3).Stride(1, 3, 3));
    }

    [Fact]
    public void A_model_whose_forward_differs_from_its_structure_falls_back()
    {
        var conv = Seeded(6, () => Conv2d(1, 3, 3, padding: 1));
        var model = Sequential(("conv", conv), ("relu", ReLU()), ("gap", AdaptiveAvgPool2d(1)), ("flat", Flatten()));
        model.to(ScalarType.Float64);
        model.eval();
        // A hook that changes the convolution's output: the graph (which runs the convolution functionally) would miss it.
        var hook = conv.register_forward_hook((m, input, output) => output * 2 + 1);
        var x = Data(8, ScalarType.Float64, 1, 1, 8, 8);
        using (var scope = NewDisposeScope())
        {
            var windows = new FluentAttrib.Core.Perturbation.SlidingWindows([1, 8, 8], [1, 2, 2], [1, 2, 2], x.device);
            Assert.Null(IncrementalEvaluator.TryCreate(Context(model, x, 0), PerturbationRegions.Windows(([1, 8, 8], [1, 2, 2], [1, 2, 2]), windows), null, minimumGain: 0));
        }
        var occlusion = Occlusion.Window(1, 2, 2).Stride(1, 2, 2);
        using var plain = Explain(model).For(0).With(occlusion.Incremental(false)).Attribute(x);
        using var incremental = Explain(model).For(0).With(Forced(occlusion)).Attribute(x);
        AssertPlain(plain);
        // Here the fallback is the point: it must be taken, and said.
        Assert.Contains("— not incremental: the model's output on the clean input differs", incremental.Method);
        AssertClose(plain.Value, incremental.Value, atol: 1e-12, rtol: 1e-9);
        hook.remove();
    }

    [Fact]
    public void Models_in_training_mode_or_without_convolutions_are_not_analysed()
    {
        var model = Seeded(7, () => Sequential(Conv2d(1, 2, 3), ReLU(), Flatten()));
        model.train();
        Assert.Null(ConvGraph.Analyze(model));
        Assert.Null(ConvGraph.Analyze(Mlp()));
    }

    [Fact]
    public void Exact_limit_counts_only_the_changed_projective_fields()
    {
        // One 3×3 convolution (padding 1) on 6×6: a 2×2 window in the middle changes a 4×4 output region.
        var model = Seeded(8, () => Sequential(Conv2d(1, 1, 3, padding: 1, bias: false), Flatten()));
        model.eval();
        var graph = ConvGraph.Analyze(model)!;
        Assert.True(graph.InferShapes([1, 6, 6]));
        Region[] regions = [new Region(2, 4, 2, 4), new Region(0, 2, 0, 2)];
        var cost = IncrementalEvaluator.Cost(graph, regions, [0, 1], [2]);
        Assert.Equal(2 * 36 * 9, cost.Full);
        Assert.Equal((16 + 9) * 9, cost.Exact); // the corner window's field is clipped to 3×3
        Assert.Equal(2 * 16 * 9, cost.Planned); // one box size per pass
        // The schedule keeps fields of different sizes apart.
        var (order, passes) = IncrementalEvaluator.Schedule(graph, regions, 2);
        Assert.Equal([1, 0], order);
        Assert.Equal([1, 1], passes);
        Assert.Equal(cost.Exact, IncrementalEvaluator.Cost(graph, regions, 2).Planned);
    }

    private static FeatureAblation Forced(FeatureAblation f) => f with { MinimumIncrementalGain = 0 };

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Feature_ablation_with_superpixels_and_irregular_masks_equals_plain(ScalarType dtype)
    {
        for (int seed = 0; seed < 6; seed++)
        {
            var rng = new Random(seed);
            long channels = rng.Next(1, 4), height = rng.Next(6, 15), width = rng.Next(6, 15), batch = rng.Next(1, 3);
            var (model, description) = RandomNet(100 + seed, channels, height, width, dtype);
            var x = Data(seed + 50, dtype, batch, channels, height, width);
            Tensor mask;
            string kind;
            if (seed % 3 == 0)
            {
                long cell = rng.Next(2, 5); // a grid of cell × cell superpixels shared by batch and channels
                var rows = arange(height).div(cell, rounding_mode: RoundingMode.floor);
                var cols = arange(width).div(cell, rounding_mode: RoundingMode.floor);
                mask = (rows.unsqueeze(1) * 100 + cols.unsqueeze(0)).reshape(1, 1, height, width);
                kind = $"grid {cell}";
            }
            else if (seed % 3 == 1)
            {
                using var g = new Generator((ulong)seed); // irregular groups, one mask per example and channel
                mask = randint(0, 7, [batch, channels, height, width], generator: g);
                kind = "irregular";
            }
            else
            {
                mask = arange(height * width).reshape(1, 1, height, width).div(5, rounding_mode: RoundingMode.floor); // row-major runs
                kind = "runs";
            }
            var ablation = FeatureAblation.Default.Mask(mask).Baseline(0.25);
            if (rng.Next(2) == 0) ablation = ablation.PerturbationsPerPass(rng.Next(1, 6));
            using var plain = Explain(model).For(1).With(ablation.Incremental(false)).Attribute(x);
            using var incremental = Explain(model).For(1).With(Forced(ablation)).Attribute(x);
            string what = $"seed {seed}: {description}; input {batch}×{channels}×{height}×{width}, mask {kind}";
            AssertPlain(plain);
            AssertIncremental(incremental, what);
            try
            {
                if (dtype == ScalarType.Float64) AssertClose(plain.Value, incremental.Value, atol: 1e-11, rtol: 1e-9);
                else AssertClose(plain.Value, incremental.Value, atol: 2e-5, rtol: 1e-4);
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException(what + ": " + e.Message);
            }
        }
    }

    [Fact]
    public void Feature_regions_are_the_bounding_rectangles_of_the_groups()
    {
        var x = zeros(2, 3, 4, 5);
        var mask = tensor(new long[] { 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 2, 2, 2, 1, 1, 2, 2, 2, 2, 2 }).reshape(1, 1, 4, 5);
        using var scope = NewDisposeScope();
        var groups = FluentAttrib.Core.Perturbation.FeatureGroups.Of(FeatureMask.PerInput(mask), [x]);
        var regions = PerturbationRegions.Features(groups, x);
        Assert.Equal(new[] { Region.Empty, new Region(0, 2, 0, 2), new Region(0, 3, 2, 5), new Region(2, 4, 0, 5) }, regions);
        // Without a mask every scalar is a feature: 1 × 1 rectangles, channel after channel.
        var single = PerturbationRegions.Features(FluentAttrib.Core.Perturbation.FeatureGroups.Of(null, [x]), x);
        Assert.Equal(1 + 3 * 4 * 5, single.Length);
        Assert.Equal(new Region(1, 2, 3, 4), single[1 + 20 + 8]);
    }
}
