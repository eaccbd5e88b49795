using TorchSharp;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Cam;

/// <summary>
/// AblationCam's passes start at the ablated layer (the modules before it run once on the example, the copies replace
/// the layer's value) and fall back to whole-network passes where a model does not take that. Both paths must give
/// pytorch-grad-cam's weights: each test compares them with the whole-network path on the same model.
/// </summary>
public class AblationCamPathTests
{
    public enum Join { SkipAdd, Concat, BatchFromInput }

    /// <summary>
    /// stem → ReLU → layer (conv), joined with the stem's output after the layer by an added skip connection, a
    /// concatenation, or a head that reshapes with the batch size read from the input (so that copies made at the layer
    /// come out as one row). <see cref="Rows"/> records the rows the stem sees in every pass.
    /// </summary>
    private sealed class Net : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> stem, act, layer, head;
        private readonly Join join;
        public List<long> Rows { get; } = [];

        public Net(Join join) : base(nameof(Net))
        {
            this.join = join;
            stem = nn.Conv2d(2, 4, 3, padding: 1);
            act = nn.ReLU();
            layer = nn.Conv2d(4, 4, 3, padding: 1);
            head = nn.Linear(join == Join.Concat ? 8 : 4, 3);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            Rows.Add(x.shape[0]);
            long batch = x.shape[0];
            var h = act.call(stem.call(x));
            var q = layer.call(h);
            q = join switch
            {
                Join.SkipAdd => q + h,
                Join.Concat => cat([h, q], 1),
                _ => q,
            };
            var o = head.call(q.mean([2L, 3L]));
            return join == Join.BatchFromInput ? o.reshape(batch, -1).narrow(1, 0, 3) : o;
        }
    }

    private static (Net Model, Tensor X) Setup(Join join)
    {
        manual_seed(21);
        var model = new Net(join);
        model.to(ScalarType.Float64).eval();
        var x = randn(2, 2, 6, 6, dtype: ScalarType.Float64);
        return (model, x);
    }

    private static void AssertSame(Tensor expected, Tensor actual, string what)
    {
        double scale = Math.Max(1e-12, expected.abs().max().item<double>());
        double diff = (expected - actual).abs().max().item<double>();
        Assert.True(diff <= 1e-6 * scale, $"{what}: max difference {diff} (scale {scale})");
    }

    [Theory]
    [InlineData(Join.SkipAdd, true)]
    [InlineData(Join.Concat, false)]
    [InlineData(Join.BatchFromInput, false)]
    public void Passes_that_start_at_the_layer_give_the_whole_network_weights(Join join, bool startsAtLayer)
    {
        using var scope = NewDisposeScope();
        var (model, x) = Setup(join);
        var e = Explain(model).For(Target.PerExample(0, 2)).At("layer");
        foreach (var method in new[] { AblationCam.Default.PerturbationsPerPass(3), AblationCam.Default, AblationCam.Default.GradCamQuirks(false) })
        {
            model.Rows.Clear();
            var whole = e.With((method with { StartAtLayer = false }).Output(CamOutput.Weights)).Attribute(x).Value;
            // The whole-network passes run the stem on the copies.
            Assert.Contains(model.Rows, r => r > 2);
            model.Rows.Clear();
            var fromLayer = e.With(method.Output(CamOutput.Weights)).Attribute(x).Value;
            // Passes that start at the layer run the stem on one row (the first pass explains both examples); a model that
            // does not take them falls back to whole-network passes.
            Assert.Equal(startsAtLayer, model.Rows.All(r => r <= 2));
            AssertSame(whole, fromLayer, $"{join}, {method.Describe()}");
            var map = e.With(method).Attribute(x).Value;
            var wholeMap = e.With(method with { StartAtLayer = false }).Attribute(x).Value;
            AssertSame(wholeMap, map, $"{join}, {method.Describe()} map");
        }
    }

    [Fact]
    public void Every_layer_of_several_starts_its_own_passes()
    {
        using var scope = NewDisposeScope();
        var (model, x) = Setup(Join.SkipAdd);
        var e = Explain(model).For(Target.PerExample(1, 2)).At("stem", "layer");
        var m = AblationCam.Default.PerturbationsPerPass(2).Output(CamOutput.Weights);
        var whole = e.With(m with { StartAtLayer = false }).Attribute(x).Values;
        model.Rows.Clear();
        var fromLayer = e.With(m).Attribute(x).Values;
        Assert.All(model.Rows, r => Assert.True(r <= 2));
        for (int k = 0; k < 2; k++) AssertSame(whole[k], fromLayer[k], $"layer {k}");
    }

    [Fact]
    public void A_layers_input_is_ablated_at_its_input()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var model = nn.Sequential(("conv", nn.Conv2d(2, 3, 3, padding: 1)), ("relu", nn.ReLU()), ("conv2", nn.Conv2d(3, 4, 3, padding: 1)),
            ("gap", nn.AdaptiveAvgPool2d(1)), ("flat", nn.Flatten()), ("fc", nn.Linear(4, 3)));
        model.to(ScalarType.Float64).eval();
        var x = randn(2, 2, 6, 6, dtype: ScalarType.Float64);
        var e = Explain(model).For(Target.PerExample(2, 1));
        // The ReLU's output is conv2's input and feeds nothing else: ablating either is the same.
        foreach (var start in new[] { true, false })
        {
            var m = (AblationCam.Default.PerturbationsPerPass(2) with { StartAtLayer = start }).Output(CamOutput.Weights);
            var atOutput = e.At("relu").With(m).Attribute(x).Value;
            var atInput = e.AtInputOf("conv2").With(m).Attribute(x).Value;
            AssertSame(atOutput, atInput, $"start at layer: {start}");
        }
    }
}
