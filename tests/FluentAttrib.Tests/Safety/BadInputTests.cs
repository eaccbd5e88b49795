using TorchSharp;
using TorchSharp.Modules;
using static FluentAttrib.Fluent;
using static FluentAttrib.Tests.Safety.SafetyKit;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FluentAttrib.Tests.Safety;

/// <summary>Every bad input of docs/safety.md's table gives its typed exception naming the argument, before any native trace.</summary>
public class BadInputTests
{
    private static Module<Tensor, Tensor> Mlp() => TestModels.Mlp(); // 4 → 8 → 3, float64, eval

    private static Module<Tensor, Tensor> TokenModel(long vocab = 10)
    {
        torch.random.manual_seed(3);
        var m = Sequential(("embedding", Embedding(vocab, 4)), ("flatten", Flatten()), ("fc", Linear(5 * 4, 2)));
        m.to(ScalarType.Float64);
        m.eval();
        return m;
    }

    [Fact]
    public void Zero_examples()
    {
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() => Explain(Mlp()).For(0).With(Saliency.Default).Attribute(zeros(0, 4, dtype: ScalarType.Float64)));
        Assert.Equal("inputs", e.ParamName);
        Assert.Contains("0 examples", e.Message);
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float16)]
    public void Input_dtype_differs_from_the_model(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() => Explain(Mlp()).For(0).With(IntegratedGradients.Steps(4)).Attribute(randn(2, 4).to(dtype)));
        Assert.Equal("inputs", e.ParamName);
        Assert.Contains(dtype.ToString(), e.Message);
        Assert.Contains("Float64", e.Message);
    }

    public static TheoryData<string> FloatMethods() => ["Saliency", "IntegratedGradients", "GradientShap", "InputXGradient", "DeepLift", "GuidedBackprop", "NoiseTunnel"];

    public static TheoryData<string> ReplacingMethods() => ["Occlusion", "FeatureAblation", "FeaturePermutation", "ShapleyValues", "ShapleyValueSampling", "KernelShap", "Lime"];

    [Theory]
    [MemberData(nameof(ReplacingMethods))]
    public void Methods_that_only_replace_values_take_token_ids(string method)
    {
        using var scope = NewDisposeScope();
        AttributionMethod m = method switch
        {
            "Occlusion" => Occlusion.Window(1),
            "FeatureAblation" => FeatureAblation.Default,
            "FeaturePermutation" => FeaturePermutation.Default,
            "ShapleyValues" => ShapleyValues.Default,
            "ShapleyValueSampling" => ShapleyValueSampling.Default,
            "KernelShap" => KernelShap.Default,
            "Lime" => Lime.Default,
            _ => throw new ArgumentException(method),
        };
        var ids = tensor(new long[] { 1, 2, 3, 4, 5, 2, 3, 4, 5, 6 }).reshape(2, 5);
        using var a = Explain(TokenModel()).For(1).With(m).Attribute(ids);
        Assert.Equal(ids.shape, a.Value.shape);
        Assert.True(a.Value.isfinite().all().item<bool>());
        // Their token ids are checked against the vocabulary too.
        var bad = tensor(new long[] { 1, 2, 3, 4, 10, 2, 3, 4, 5, 6 }).reshape(2, 5);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Explain(TokenModel()).For(1).With(m).Attribute(bad));
        Assert.Equal("inputs", e.ParamName);
    }

    [Theory]
    [MemberData(nameof(FloatMethods))]
    public void Integer_inputs_to_a_method_that_needs_floats(string method)
    {
        using var scope = NewDisposeScope();
        AttributionMethod m = method switch
        {
            "Saliency" => Saliency.Default,
            "IntegratedGradients" => IntegratedGradients.Default,
            "GradientShap" => GradientShap.Default,
            "InputXGradient" => InputXGradient.Default,
            "DeepLift" => DeepLift.Default,
            "GuidedBackprop" => GuidedBackprop.Default,
            "NoiseTunnel" => NoiseTunnel.SmoothGrad(Saliency.Default),
            _ => throw new ArgumentException(method),
        };
        var ids = tensor(new long[] { 1, 2, 3, 4, 5, 2, 3, 4, 5, 6 }).reshape(2, 5);
        var e = Assert.Throws<ArgumentException>(() => Explain(TokenModel()).For(1).With(m).Attribute(ids));
        Assert.Equal("inputs", e.ParamName);
        Assert.Contains("Int64", e.Message);
        Assert.Contains("needs floating-point inputs", e.Message);
        Assert.Contains("At(\"embedding\")", e.Message);
        // The pointer works: layer attribution on the embedding takes the token ids.
        using var ok = Explain(TokenModel()).For(1).At("embedding").With(LayerIntegratedGradients.Steps(4)).Attribute(ids);
        Assert.Equal([2L, 5L, 4L], ok.Value.shape);
    }

    [Fact]
    public void Additional_argument_whose_batch_differs()
    {
        using var scope = NewDisposeScope();
        var x = randn(2, 4, dtype: ScalarType.Float64);
        var scale = randn(3, 4, dtype: ScalarType.Float64);
        var e = Assert.Throws<ArgumentException>(() =>
            Explain((Tensor a, Tensor s) => (a * s).sum(dim: 1)).With(Saliency.Default).WithAdditionalArguments(scale).Attribute(x));
        Assert.Equal("arguments", e.ParamName);
        Assert.Contains("additional argument 0 has shape (3, 4)", e.Message);
    }

    [Fact]
    public void Meta_tensors()
    {
        using var scope = NewDisposeScope();
        var meta = empty(2, 4, dtype: ScalarType.Float64, device: new Device(DeviceType.META));
        var e = Assert.Throws<ArgumentException>(() => Explain(Mlp()).For(0).With(Saliency.Default).Attribute(meta));
        Assert.Equal("inputs", e.ParamName);
        Assert.Contains("meta device", e.Message);
        var b = Assert.Throws<ArgumentException>(() =>
            Explain(Mlp()).For(0).With(IntegratedGradients.Default.Baseline(meta)).Attribute(randn(2, 4, dtype: ScalarType.Float64)));
        Assert.Equal("baselines", b.ParamName);
        Assert.Contains("meta device", b.Message);
    }

    [Fact]
    public void Token_ids_outside_the_vocabulary_in_inputs_and_baselines()
    {
        using var scope = NewDisposeScope();
        var ids = tensor(new long[] { 1, 2, 3, 4, 12, 2, 3, 4, 5, 6 }).reshape(2, 5);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Explain(TokenModel()).For(1).At("embedding").With(LayerIntegratedGradients.Default).Attribute(ids));
        Assert.Equal("inputs", e.ParamName);
        Assert.Contains("'embedding' (10 entries", e.Message);
        var negative = tensor(new long[] { 1, 2, 3, 4, -1, 2, 3, 4, 5, 6 }).reshape(2, 5);
        Assert.Throws<ArgumentOutOfRangeException>(() => Explain(TokenModel()).For(1).At("embedding").With(LayerIntegratedGradients.Default).Attribute(negative));

        var good = tensor(new long[] { 1, 2, 3, 4, 5, 2, 3, 4, 5, 6 }).reshape(2, 5);
        var baseline = full(new long[] { 1, 5 }, 40L);
        var b = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Explain(TokenModel()).For(1).At("embedding").With(LayerIntegratedGradients.Default.Baseline(baseline)).Attribute(good));
        Assert.Equal("baselines", b.ParamName);
        Assert.Contains("from 40 to 40", b.Message);
    }

    [Fact]
    public void Disposed_input_baseline_mask_model_and_attribution_are_named()
    {
        using var scope = NewDisposeScope();
        var x = randn(2, 4, dtype: ScalarType.Float64);

        var dead = randn(2, 4, dtype: ScalarType.Float64);
        dead.Dispose();
        var input = Assert.Throws<ObjectDisposedException>(() => Explain(Mlp()).For(0).With(Saliency.Default).Attribute(dead));
        Assert.Equal("inputs[0]", input.ObjectName);

        var deadBaseline = zeros(1, 4, dtype: ScalarType.Float64);
        var ig = IntegratedGradients.Default.Baseline(deadBaseline);
        deadBaseline.Dispose();
        var baseline = Assert.Throws<ObjectDisposedException>(() => Explain(Mlp()).For(0).With(ig).Attribute(x));
        Assert.Equal("baselines[0]", baseline.ObjectName);

        var deadMask = tensor(new long[] { 0, 0, 1, 1 });
        var fa = FeatureAblation.Default.Mask(deadMask);
        deadMask.Dispose();
        var mask = Assert.Throws<ObjectDisposedException>(() => { Explain(Mlp()).For(0).With(fa).Attribute(x); });
        Assert.StartsWith("featureMask", mask.ObjectName);

        var model = Mlp();
        model.Dispose();
        var m = Assert.Throws<ObjectDisposedException>(() => Explain(model).For(0).With(Saliency.Default).Attribute(x));
        Assert.True(m.ObjectName == "model", m.ToString());
        Assert.Equal("model", m.ObjectName);

        var attribution = Explain(Mlp()).For(0).With(Saliency.Default).Attribute(x);
        var values = attribution.Value;
        attribution.Dispose();
        var a = Assert.Throws<ObjectDisposedException>(() => { _ = attribution.Value; });
        Assert.Equal(nameof(Attribution), a.ObjectName);
        var metric = Assert.Throws<ObjectDisposedException>(() =>
            Explain(Mlp()).For(0).With(Saliency.Default).Infidelity(Infidelity.GaussianNoise(0.1), x, values));
        Assert.Equal("attributions[0]", metric.ObjectName);
    }

    [Fact]
    public void NaN_or_infinity_in_inputs_or_baselines_is_refused_unless_allowed()
    {
        using var scope = NewDisposeScope();
        var x = randn(2, 4, dtype: ScalarType.Float64);
        var nan = x.clone();
        nan[0, 1] = tensor(double.NaN);
        var e = Assert.Throws<ArgumentException>(() => Explain(Mlp()).For(0).With(IntegratedGradients.Steps(4)).Attribute(nan));
        Assert.Equal("inputs", e.ParamName);
        Assert.Contains("1 NaN", e.Message);
        Assert.Contains("WithNonFiniteValues()", e.Message);
        using (var allowed = Explain(Mlp()).For(0).With(IntegratedGradients.Steps(4)).WithNonFiniteValues().Attribute(nan))
            Assert.True(allowed.Value.isnan().any().item<bool>());

        var inf = full(new long[] { 1, 4 }, double.PositiveInfinity, dtype: ScalarType.Float64);
        var b = Assert.Throws<ArgumentException>(() => Explain(Mlp()).For(0).With(IntegratedGradients.Steps(4).Baseline(inf)).Attribute(x));
        Assert.Equal("baselines", b.ParamName);
        Assert.Contains("infinite", b.Message);
        var s = Assert.Throws<ArgumentException>(() => Explain(Mlp()).For(0).With(IntegratedGradients.Steps(4).Baseline(double.NaN)).Attribute(x));
        Assert.Equal("baselines", s.ParamName);
    }
}

/// <summary>Every method checks that the model returns one output row per example.</summary>
public class OutputContractTests
{
    public static TheoryData<string> Methods() => ["Saliency", "IntegratedGradients", "DeepLift", "FeatureAblation", "LayerGradCam", "NeuronGradient"];

    private static Attribution Run(string method, Module<Tensor, Tensor> model, Tensor x) => method switch
    {
        "Saliency" => Explain(model).For(0).With(Saliency.Default).Attribute(x),
        "IntegratedGradients" => Explain(model).For(0).With(IntegratedGradients.Steps(4)).Attribute(x),
        "DeepLift" => Explain(model).For(0).With(DeepLift.Default).Attribute(x),
        "FeatureAblation" => Explain(model).For(0).With(FeatureAblation.Default).Attribute(x),
        "LayerGradCam" => Explain(model).For(0).At("fc1").With(LayerGradCam.Default).Attribute(x),
        "NeuronGradient" => Explain(model).At("fc1").Neuron(0).With(NeuronGradient.Default).Attribute(x),
        _ => throw new ArgumentException(method),
    };

    private sealed class MeanOverBatch(Module<Tensor, Tensor> inner) : Module<Tensor, Tensor>("MeanOverBatch")
    {
        private readonly Module<Tensor, Tensor> _inner = inner;
        public override Tensor forward(Tensor x) => _inner.forward(x).mean([0]);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void A_model_that_averages_over_the_batch_is_refused_with_the_real_batch_and_shape(string method)
    {
        using var scope = NewDisposeScope();
        var mlp = (Sequential)TestModels.Mlp();
        var parts = mlp.named_children().ToDictionary(c => c.name, c => (Module<Tensor, Tensor>)c.module);
        var model = Sequential(("fc1", parts["fc1"]), ("relu", parts["relu"]), ("fc2", parts["fc2"]), ("mean", new MeanOverBatch(Identity())));
        var x = TestModels.Batch(2);
        var e = Assert.Throws<ArgumentException>(() => Run(method, model, x));
        Assert.Equal("model", e.ParamName);
        Assert.Contains("shape (3)", e.Message);
        Assert.Contains("batch of 2", e.Message);
        Assert.Contains("one output row per example", e.Message);
    }

    [Fact]
    public void A_scalar_output_names_the_real_batch()
    {
        using var scope = NewDisposeScope();
        var x = TestModels.Batch(2);
        var e = Assert.Throws<ArgumentException>(() => Explain((Tensor a) => a.sum()).With(Saliency.Default).Attribute(x));
        Assert.Equal("model", e.ParamName);
        Assert.Contains("batch of 2", e.Message);
        Assert.DoesNotContain("batch 0", e.Message);
    }
}

/// <summary>The test helpers themselves can fail.</summary>
public class TestHelperTests
{
    [Fact]
    public void MaxAbsDiff_rejects_a_shape_mismatch_instead_of_broadcasting()
    {
        using var scope = NewDisposeScope();
        var a = zeros(2, 3, dtype: ScalarType.Float64);
        var b = zeros(1, 3, dtype: ScalarType.Float64);
        Assert.Throws<Xunit.Sdk.XunitException>(() => TinyModels.MaxAbsDiff(a, b));
        Assert.Equal(0.0, TinyModels.MaxAbsDiff(a, zeros(2, 3, dtype: ScalarType.Float64)));
    }
}
