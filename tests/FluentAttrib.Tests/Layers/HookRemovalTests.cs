using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Layers;

/// <summary>
/// After success, an exception in the forward pass (or in a hook) or a cancellation, no hook remains on the model —
/// for every layer and neuron method, on layer outputs and inputs.
/// </summary>
public class HookRemovalTests
{
    public static TheoryData<string> Methods() =>
    [
        "LayerActivation", "LayerActivation@input", "LayerActivation@2layers", "LayerGradientXActivation", "LayerGradientXActivation@input",
        "LayerGradCam", "InternalInfluence", "LayerConductance", "LayerIntegratedGradients", "LayerIntegratedGradients@input",
        "LayerIntegratedGradients@2layers", "LayerFeatureAblation", "LayerFeatureAblation@input", "LayerFeaturePermutation", "LayerGradientShap",
        "NeuronGradient", "NeuronGradient@input", "NeuronIntegratedGradients", "NeuronConductance", "NeuronFeatureAblation", "NeuronGradientShap",
    ];

    private static Attribution Run(string method, Explainer e, Tensor x, CancellationToken ct)
    {
        var targeted = e.For(1);
        return method switch
        {
            "LayerActivation" => targeted.At("fc1").With(LayerActivation.Default).WithCancellation(ct).Attribute(x),
            "LayerActivation@input" => targeted.AtInputOf("fc2").With(LayerActivation.Default).WithCancellation(ct).Attribute(x),
            "LayerActivation@2layers" => targeted.At("fc1", "fc2").With(LayerActivation.Default).WithCancellation(ct).Attribute(x),
            "LayerGradientXActivation" => targeted.At("fc1").With(LayerGradientXActivation.Default).WithCancellation(ct).Attribute(x),
            "LayerGradientXActivation@input" => targeted.AtInputOf("fc2").With(LayerGradientXActivation.Default).WithCancellation(ct).Attribute(x),
            "LayerGradCam" => targeted.At("fc1").With(LayerGradCam.Default).WithCancellation(ct).Attribute(x),
            "InternalInfluence" => targeted.At("fc1").With(InternalInfluence.Steps(4).InternalBatchSize(2)).WithCancellation(ct).Attribute(x),
            "LayerConductance" => targeted.At("fc1").With(LayerConductance.Steps(4).InternalBatchSize(4)).WithCancellation(ct).Attribute(x),
            "LayerIntegratedGradients" => targeted.At("fc1").With(LayerIntegratedGradients.Steps(4).InternalBatchSize(2)).WithCancellation(ct).Attribute(x),
            "LayerIntegratedGradients@input" => targeted.AtInputOf("fc2").With(LayerIntegratedGradients.Steps(4).InternalBatchSize(2)).WithCancellation(ct).Attribute(x),
            "LayerIntegratedGradients@2layers" => targeted.At("fc1", "fc2").With(LayerIntegratedGradients.Steps(4).InternalBatchSize(2)).WithCancellation(ct).Attribute(x),
            "LayerFeatureAblation" => targeted.At("fc1").With(LayerFeatureAblation.Default.PerturbationsPerPass(2)).WithCancellation(ct).Attribute(x),
            "LayerFeatureAblation@input" => targeted.AtInputOf("fc2").With(LayerFeatureAblation.Default).WithCancellation(ct).Attribute(x),
            "LayerFeaturePermutation" => targeted.At("fc1").With(LayerFeaturePermutation.Default.PerturbationsPerPass(2)).WithCancellation(ct).Attribute(x),
            "LayerGradientShap" => targeted.At("fc1").With(LayerGradientShap.Default.Samples(3).ReturnDelta()).WithMemoryBudget(1).WithCancellation(ct).Attribute(x),
            "NeuronGradient" => e.At("fc1").Neuron(1).With(NeuronGradient.Default).WithCancellation(ct).Attribute(x),
            "NeuronGradient@input" => e.AtInputOf("fc2").Neuron(1).With(NeuronGradient.Default).WithCancellation(ct).Attribute(x),
            "NeuronIntegratedGradients" => e.At("fc1").Neuron(1).With(NeuronIntegratedGradients.Steps(4).InternalBatchSize(2)).WithCancellation(ct).Attribute(x),
            "NeuronConductance" => e.At("fc1").Neuron(1).For(2).With(NeuronConductance.Steps(4).InternalBatchSize(2)).WithCancellation(ct).Attribute(x),
            "NeuronFeatureAblation" => e.At("fc1").Neuron(1).With(NeuronFeatureAblation.Default).WithCancellation(ct).Attribute(x),
            "NeuronGradientShap" => e.At("fc1").Neuron(1).With(NeuronGradientShap.Default.Samples(3)).WithMemoryBudget(1).WithCancellation(ct).Attribute(x),
            _ => throw new ArgumentException(method),
        };
    }

    /// <summary>Runs once to count forward passes; returns that count.</summary>
    private static int Succeeds(string method, out TorchSharp.Modules.Sequential model, out Spy spy, out Tensor x)
    {
        (model, spy) = LayerTestModels.MlpWithSpy();
        x = rand(2, 4, dtype: ScalarType.Float64);
        using var a = Run(method, Explain(model), x, CancellationToken.None);
        Assert.True(spy.MaxHooksSeen > 0, "no hook was seen during the forward passes: the counter does not observe them");
        Assert.Equal(0, HookCounter.Count(model));
        foreach (var v in a.Values) Assert.False(v.isnan().any().item<bool>());
        return spy.Calls;
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void No_hook_remains_after_success(string method)
    {
        using var scope = NewDisposeScope();
        Succeeds(method, out _, out _, out _);
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void No_hook_remains_after_an_exception_in_the_forward_pass(string method)
    {
        using var scope = NewDisposeScope();
        int calls = Succeeds(method, out var model, out var spy, out var x);
        spy.Reset();
        spy.ThrowOnCall = Math.Max(1, (calls + 1) / 2);
        Assert.Throws<ForwardFailure>(() => Run(method, Explain(model), x, CancellationToken.None));
        Assert.True(spy.MaxHooksSeen > 0);
        Assert.Equal(0, HookCounter.Count(model));
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void No_hook_remains_after_cancellation(string method)
    {
        using var scope = NewDisposeScope();
        int calls = Succeeds(method, out var model, out var spy, out var x);
        spy.Reset();
        using var cts = new CancellationTokenSource();
        spy.Cancellation = cts;
        spy.CancelOnCall = Math.Max(1, (calls + 1) / 2);
        Assert.ThrowsAny<OperationCanceledException>(() => Run(method, Explain(model), x, cts.Token));
        Assert.True(spy.MaxHooksSeen > 0);
        Assert.Equal(0, HookCounter.Count(model));
    }

    [Theory]
    [InlineData("NeuronGradient")]
    [InlineData("NeuronIntegratedGradients")]
    [InlineData("NeuronConductance")]
    [InlineData("NeuronFeatureAblation")]
    [InlineData("NeuronGradientShap")]
    public void No_hook_remains_after_an_exception_in_a_hook(string method)
    {
        using var scope = NewDisposeScope();
        var (model, _) = LayerTestModels.MlpWithSpy();
        var x = rand(2, 4, dtype: ScalarType.Float64);
        NeuronAttributionMethod m = method switch
        {
            "NeuronGradient" => NeuronGradient.Default,
            "NeuronIntegratedGradients" => NeuronIntegratedGradients.Steps(3),
            "NeuronConductance" => NeuronConductance.Steps(3),
            "NeuronFeatureAblation" => NeuronFeatureAblation.Default,
            _ => NeuronGradientShap.Default,
        };
        var neuron = Explain(model).At("fc1").Neuron(0, 0); // fc1's output has one dimension: the selector fails inside the hook
        var e = Assert.Throws<ArgumentException>(() => (m is TargetedNeuronAttributionMethod t ? neuron.For(0).With(t) : neuron.With(m)).Attribute(x));
        Assert.Contains("fc1", e.Message);
        Assert.Equal(0, HookCounter.Count(model));
    }
}
