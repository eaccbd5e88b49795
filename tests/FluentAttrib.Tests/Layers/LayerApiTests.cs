using TorchSharp;
using TorchSharp.Modules;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Layers;

public class LayerApiTests
{
    private static Sequential Mlp() => LayerTestModels.MlpWithSpy().Model;

    [Fact]
    public void Unknown_path_lists_the_nearest_existing_paths()
    {
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() => Explain(Mlp()).At("fc3"));
        Assert.Contains("'fc3'", e.Message);
        Assert.Contains("'fc1'", e.Message);
        Assert.Contains("'fc2'", e.Message);
    }

    [Fact]
    public void A_layer_that_is_not_a_tensor_to_tensor_module_is_not_supported()
    {
        using var scope = NewDisposeScope();
        var model = new PairHolder();
        var e = Assert.Throws<NotSupportedException>(() => Explain(model).At("pair"));
        Assert.Contains("pair", e.Message);
        Assert.Contains(nameof(Pair), e.Message);
    }

    [Fact]
    public void A_function_has_no_layers()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Explain((Tensor t) => t.sum(dim: 1)).At("fc1"));
        Assert.Contains("module", e.Message);
    }

    [Fact]
    public void Neuron_index_out_of_the_layer_shape_names_the_layer_and_its_shape()
    {
        using var scope = NewDisposeScope();
        var x = rand(2, 4, dtype: ScalarType.Float64);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Explain(Mlp()).At("fc1").Neuron(5).With(NeuronGradient.Default).Attribute(x));
        Assert.Contains("fc1", e.Message);
        Assert.Contains("(5)", e.Message);
        var arity = Assert.Throws<ArgumentException>(() => Explain(Mlp()).At("fc1").Neuron(1, 1).With(NeuronGradient.Default).Attribute(x));
        Assert.Contains("give 1", arity.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Explain(Mlp()).At("fc1").Neuron(7..).With(NeuronGradient.Default).Attribute(x));
    }

    [Fact]
    public void Typed_handles_check_the_declared_shape_and_the_module_type()
    {
        using var scope = NewDisposeScope();
        var model = Mlp();
        var x = rand(3, 4, dtype: ScalarType.Float64);
        var fc1 = new Layer<Linear, Rank1>("fc1", "Fc1", [5]);
        using var typed = Explain(model).At(fc1).Neuron(2).With(NeuronGradient.Default).Attribute(x);
        using var untyped = Explain(model).At("fc1").Neuron(2).With(NeuronGradient.Default).Attribute(x);
        Assert.True(allclose(typed.Value, untyped.Value));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Explain(model).At(fc1).Neuron(5));
        Assert.Contains("Fc1", e.Message);
        var wrongType = new Layer<Conv2d, Rank1>("fc1", "Fc1", [5]);
        Assert.Throws<ArgumentException>(() => Explain(model).At(wrongType));
        var wrongShape = new Layer<Linear, Rank1>("fc1", "Fc1", [6]);
        var shape = Assert.Throws<InvalidOperationException>(() => Explain(model).At(wrongShape).Untyped.With(LayerActivation.Default).Attribute(x));
        Assert.Contains("(6)", shape.Message);
        // Typed explainers keep the target through For(...) and run layer methods too.
        using var cam = Explain(model).At(fc1).For(0).With(LayerGradientXActivation.Default).Attribute(x);
        Assert.Equal([3L, 5], cam.Value.shape);
    }

    [Fact]
    public void Slices_and_selector_functions_select_summed_neurons()
    {
        using var scope = NewDisposeScope();
        var model = Mlp();
        var x = rand(3, 4, dtype: ScalarType.Float64);
        using var slice = Explain(model).At("fc1").Neuron(1..3).With(NeuronGradient.Default).Attribute(x);
        using var function = Explain(model).At("fc1").Neuron(v => v[.., 1] + v[.., 2]).With(NeuronGradient.Default).Attribute(x);
        using var one = Explain(model).At("fc1").Neuron(1).With(NeuronGradient.Default).Attribute(x);
        using var two = Explain(model).At("fc1").Neuron(^3).With(NeuronGradient.Default).Attribute(x);
        Assert.True(allclose(slice.Value, function.Value, rtol: 1e-12, atol: 1e-12));
        Assert.True(allclose(slice.Value, one.Value + two.Value, rtol: 1e-12, atol: 1e-12));
        var bad = Assert.Throws<InvalidOperationException>(() => Explain(model).At("fc1").Neuron(v => v).With(NeuronGradient.Default).Attribute(x));
        Assert.Contains("one value per example", bad.Message);
    }

    [Fact]
    public void Several_layers_give_one_result_per_layer()
    {
        using var scope = NewDisposeScope();
        var model = Mlp();
        var x = rand(3, 4, dtype: ScalarType.Float64);
        using var both = Explain(model).For(1).At("fc1", "fc2").With(LayerGradientXActivation.Default).Attribute(x);
        using var fc1 = Explain(model).For(1).At("fc1").With(LayerGradientXActivation.Default).Attribute(x);
        using var fc2 = Explain(model).For(1).At("fc2").With(LayerGradientXActivation.Default).Attribute(x);
        Assert.Equal(2, both.Values.Count);
        Assert.True(allclose(both.Values[0], fc1.Value));
        Assert.True(allclose(both.Values[1], fc2.Value));
    }

    [Fact]
    public void A_module_used_twice_or_not_at_all_is_reported_before_autograd()
    {
        using var scope = NewDisposeScope();
        var twice = new Twice();
        var x = rand(2, 3, dtype: ScalarType.Float64);
        var e = Assert.Throws<InvalidOperationException>(() => Explain(twice).For(0).At("fc").With(LayerGradientXActivation.Default).Attribute(x));
        Assert.Contains("more than once", e.Message);
        var unused = Assert.Throws<InvalidOperationException>(() => Explain(twice).For(0).At("unused").With(LayerGradientXActivation.Default).Attribute(x));
        Assert.Contains("did not run", unused.Message);
        Assert.Equal(0, HookCounter.Count(twice));
    }

    /// <summary>
    /// A neuron step after a target accepts only methods that explain the target through the neuron (the other forms do
    /// not compile: NeuronTargetTypingTests in the generator tests); the accepted forms run and agree.
    /// </summary>
    [Fact]
    public void Targeted_neuron_steps_take_conductance_and_untargeted_ones_take_every_neuron_method()
    {
        using var scope = NewDisposeScope();
        var model = LayerTestModels.Linear2();
        var (w1, w2) = (LayerTestModels.Weight(model, "fc1"), LayerTestModels.Weight(model, "fc2"));
        var x = randn(3, 4, dtype: ScalarType.Float64);
        var conductance = NeuronConductance.Steps(8).Quadrature(Quadrature.GaussLegendre); // step sizes that sum to 1

        using var before = Explain(model).For(1).At("fc1").Neuron(0).With(conductance).Attribute(x);
        using var after = Explain(model).At("fc1").Neuron(0).For(1).With(conductance).Attribute(x);
        using var typed = Explain(model).For(1).At(new Layer<Linear, Rank1>("fc1", "Fc1", [3])).Neuron(0).With(conductance).Attribute(x);
        // Linear model: the flow of output 1 through neuron 0 of fc1 is w2[1, 0] · w1[0] · (x − 0) (step sizes are float32, as Captum's).
        var expected = w2[1, 0] * w1[0] * x;
        Assert.True(allclose(before.Value, expected, rtol: 1e-6, atol: 1e-9));
        Assert.True(allclose(after.Value, expected, rtol: 1e-6, atol: 1e-9));
        Assert.True(allclose(typed.Value, expected, rtol: 1e-6, atol: 1e-9));

        using var gradient = Explain(model).At("fc1").Neuron(0).With(NeuronGradient.Default).Attribute(x);
        Assert.True(allclose(gradient.Value, w1[0].expand(3, 4), rtol: 1e-12, atol: 1e-12));
        using var typedGradient = Explain(model).At(new Layer<Linear, Rank1>("fc1", "Fc1", [3])).Neuron(0).With(NeuronGradient.Default).Attribute(x);
        Assert.True(allclose(typedGradient.Value, gradient.Value, rtol: 0, atol: 0));
    }

    [Fact]
    public void Settings_are_checked_when_built()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LayerIntegratedGradients.Steps(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => NeuronConductance.Steps(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => InternalInfluence.Steps(1).Quadrature(Quadrature.RiemannTrapezoid));
        Assert.Throws<ArgumentOutOfRangeException>(() => LayerConductance.Default.InternalBatchSize(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LayerFeatureAblation.Default.PerturbationsPerPass(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LayerGradientShap.Default.StdDev(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => NeuronAxis.Slice(0, 2, 0));
        Assert.Equal(Quadrature.RiemannTrapezoid, NeuronConductance.Default.Settings.Quadrature);
        Assert.Equal(50, NeuronConductance.Default.Settings.Steps);
        Assert.Equal(LayerGradCam.Default.Relu().KeepChannels(), LayerGradCam.Default.KeepChannels().Relu());
    }

    [Fact]
    public void Path_methods_report_progress_up_to_the_total()
    {
        using var scope = NewDisposeScope();
        var reports = new List<AttributionProgress>();
        var progress = new SyncProgress(reports.Add);
        using var _ = Explain(Mlp()).For(0).At("fc1").With(LayerIntegratedGradients.Steps(6).InternalBatchSize(4))
            .WithProgress(progress).Attribute(rand(2, 4, dtype: ScalarType.Float64));
        Assert.Equal([2, 4, 6], reports.Select(r => r.Completed));
        Assert.All(reports, r => Assert.Equal(6, r.Total));
    }

    [Fact]
    public void Interpolate_checks_the_mode_against_the_rank()
    {
        using var scope = NewDisposeScope();
        var map = rand(1, 1, 2, 2);
        Assert.Equal([1L, 1, 4, 6], LayerAttribution.Interpolate(map, [4, 6], InterpolationMode.Bilinear).shape);
        Assert.Throws<ArgumentException>(() => LayerAttribution.Interpolate(map, [4], InterpolationMode.Linear));
        Assert.Throws<ArgumentException>(() => LayerAttribution.Interpolate(map, [4, 4, 4]));
    }

    [Fact]
    public void Additional_arguments_are_expanded_with_the_path()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(9);
        var model = new Conformance.ModelBuilder.TwoBranch(nn.Sequential(("fc", nn.Linear(4, 5))), nn.Sequential(("tanh", nn.Tanh())),
            nn.Sequential(("fc1", nn.Linear(8, 3))), 1);
        model.to(ScalarType.Float64).eval();
        var xa = rand(2, 4, dtype: ScalarType.Float64);
        var xb = rand(2, 3, dtype: ScalarType.Float64);
        var e = Explain(model).For(new long[] { 2, 0 });
        using var asArgument = e.At("head.fc1").With(InternalInfluence.Steps(5).InternalBatchSize(4)).WithAdditionalArguments(xb).Attribute(xa);
        using var asInput = e.At("head.fc1").With(InternalInfluence.Steps(5).Baseline(Baselines.PerInput(0.0, xb))).Attribute(xa, xb);
        Assert.True(allclose(asArgument.Value, asInput.Value, rtol: 1e-12, atol: 1e-12));
        using var neuronArg = Explain(model).At("a.fc").Neuron(1).With(NeuronIntegratedGradients.Steps(4)).WithAdditionalArguments(xb).Attribute(xa);
        using var neuronIn = Explain(model).At("a.fc").Neuron(1).With(NeuronIntegratedGradients.Steps(4)).Attribute(xa, xb);
        Assert.True(allclose(neuronArg.Value, neuronIn.Values[0], rtol: 1e-12, atol: 1e-12));
    }

    [Fact]
    public void Nearest_interpolation_uses_the_legacy_index_rule()
    {
        using var scope = NewDisposeScope();
        var line = arange(3, dtype: ScalarType.Float64).reshape(1, 1, 3);
        var up = LayerAttribution.Interpolate(line, 7);
        // PyTorch's legacy "nearest": src = floor(dst · in / out) → 0 0 0 1 1 2 2 (nearest-exact would give 0 0 1 1 2 2 2).
        Assert.Equal([0.0, 0, 0, 1, 1, 2, 2], up.data<double>().ToArray());
    }

    [Fact]
    public void The_empty_path_is_the_model_itself()
    {
        using var scope = NewDisposeScope();
        var model = Mlp();
        var x = rand(2, 4, dtype: ScalarType.Float64);
        using var a = Explain(model).At("").With(LayerActivation.Default).Attribute(x);
        Tensor y;
        using (no_grad()) y = model.call(x);
        Assert.True(allclose(a.Value, y));
        Assert.Equal(0, HookCounter.Count(model));
    }

    [Fact]
    public void Layer_integrated_gradients_of_an_embedding_take_token_baselines()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(5);
        var model = nn.Sequential(("emb", nn.Embedding(10, 4)), ("mean", new Conformance.ModelBuilder.MeanOverDim(1)), ("fc", nn.Linear(4, 2)));
        model.to(ScalarType.Float64).eval();
        var tokens = tensor(new long[] { 1, 4, 7, 2, 3, 3 }).reshape(2, 3);
        using var lig = Explain(model).For(1).At("emb").With(LayerIntegratedGradients.Steps(8).Baseline(0).ReturnDelta()).Attribute(tokens);
        Assert.Equal([2L, 3, 4], lig.Value.shape);
        // The model is linear in the embeddings: IG is exact up to the float32 step sizes (as in Captum).
        Assert.True(lig.Delta!.abs().max().item<double>() < 1e-6, lig.Delta.str());
        Assert.Throws<ArgumentException>(() => Explain(model).At("emb").Neuron(0, 0).With(NeuronGradient.Default).Attribute(tokens));
        using var nfa = Explain(model).At("fc").Neuron(1).With(NeuronFeatureAblation.Default).Attribute(tokens);
        Assert.Equal(tokens.shape, nfa.Value.shape);
    }

    private sealed class SyncProgress(Action<AttributionProgress> report) : IProgress<AttributionProgress>
    {
        public void Report(AttributionProgress value) => report(value);
    }

    private sealed class Pair : nn.Module<Tensor, Tensor, Tensor>
    {
        public Pair() : base(nameof(Pair)) { }
        public override Tensor forward(Tensor a, Tensor b) => a + b;
    }

    private sealed class PairHolder : nn.Module<Tensor, Tensor>
    {
        private readonly Pair pair = new();
        public PairHolder() : base(nameof(PairHolder)) => RegisterComponents();
        public override Tensor forward(Tensor x) => pair.call(x, x);
    }

    private sealed class Twice : nn.Module<Tensor, Tensor>
    {
        private readonly Linear fc = nn.Linear(3, 3);
        private readonly Linear unused = nn.Linear(3, 3);
        public Twice() : base(nameof(Twice))
        {
            RegisterComponents();
            this.to(ScalarType.Float64);
        }
        public override Tensor forward(Tensor x) => fc.call(fc.call(x));
    }
}
