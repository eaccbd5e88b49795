using static FluentAttrib.Fluent;
using static FluentAttrib.Tests.Safety.SafetyKit;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Safety;

/// <summary>
/// The model is never changed: parameters, buffers and training flags are bit-identical after every method family —
/// after success, an exception in the forward pass and a cancellation. A model in training mode is refused unless the
/// run opts in, and then restored.
/// </summary>
public class ModelStateTests
{
    private sealed class Blown() : Exception("the forward pass failed on purpose");

    /// <summary>A user's own forward hook on 'relu' that throws, or cancels, on a given call (0 = never).</summary>
    private sealed class Fuse
    {
        public int Calls;
        public int ThrowOn;
        public int CancelOn;
        public CancellationTokenSource Cts = new();
    }

    public static TheoryData<string> Methods() =>
    [
        "Saliency", "InputXGradient", "IntegratedGradients", "GradientShap", "DeepLift", "DeepLiftShap", "GuidedBackprop", "Deconvolution", "LRP",
        "Occlusion", "FeatureAblation", "FeaturePermutation", "ShapleyValueSampling", "KernelShap", "Lime", "NoiseTunnel",
        "LayerGradCam", "LayerIntegratedGradients", "LayerConductance", "LayerActivation", "LayerDeepLift", "LayerLrp", "LayerFeatureAblation",
        "NeuronGradient", "NeuronIntegratedGradients", "NeuronDeepLift", "NeuronFeatureAblation", "Infidelity", "SensitivityMax",
    ];

    private static void Run(string method, nn.Module<Tensor, Tensor> model, Tensor x, CancellationToken ct, bool training = false)
    {
        var e = Explain(model).For(1);
        AttributionRun Opt(AttributionRun r) => training ? r.WithTrainingMode().WithCancellation(ct) : r.WithCancellation(ct);
        LayerAttributionRun OptL(LayerAttributionRun r) => training ? r.WithTrainingMode().WithCancellation(ct) : r.WithCancellation(ct);
        NeuronAttributionRun OptN(NeuronAttributionRun r) => training ? r.WithTrainingMode().WithCancellation(ct) : r.WithCancellation(ct);
        var dist = Images(3, 77);
        Attribution? a = method switch
        {
            "Saliency" => Opt(e.With(Saliency.Default)).Attribute(x),
            "InputXGradient" => Opt(e.With(InputXGradient.Default)).Attribute(x),
            "IntegratedGradients" => Opt(e.With(IntegratedGradients.Steps(4))).Attribute(x),
            "GradientShap" => Opt(e.With(GradientShap.Default.BaselineDistribution(dist))).Attribute(x),
            "DeepLift" => Opt(e.With(DeepLift.Default)).Attribute(x),
            "DeepLiftShap" => Opt(e.With(DeepLiftShap.BaselineDistribution(dist))).Attribute(x),
            "GuidedBackprop" => Opt(e.With(GuidedBackprop.Default)).Attribute(x),
            "Deconvolution" => Opt(e.With(Deconvolution.Default)).Attribute(x),
            "LRP" => Opt(e.With(Lrp.Default)).Attribute(x),
            "Occlusion" => Opt(e.With(Occlusion.Window(1, 3, 3))).Attribute(x),
            "FeatureAblation" => Opt(e.With(FeatureAblation.Default)).Attribute(x),
            "FeaturePermutation" => Opt(e.With(FeaturePermutation.Default)).Attribute(x),
            "ShapleyValueSampling" => Opt(e.With(ShapleyValueSampling.Default)).Attribute(x),
            "KernelShap" => Opt(e.With(KernelShap.Default)).Attribute(x),
            "Lime" => Opt(e.With(Lime.Default)).Attribute(x),
            "NoiseTunnel" => Opt(e.With(NoiseTunnel.SmoothGrad(Saliency.Default))).Attribute(x),
            "LayerGradCam" => OptL(e.At("conv1").With(LayerGradCam.Default)).Attribute(x),
            "LayerIntegratedGradients" => OptL(e.At("conv1").With(LayerIntegratedGradients.Steps(4))).Attribute(x),
            "LayerConductance" => OptL(e.At("conv1").With(LayerConductance.Steps(4))).Attribute(x),
            "LayerActivation" => OptL(e.At("conv1").With(LayerActivation.Default)).Attribute(x),
            "LayerDeepLift" => OptL(e.At("conv1").With(LayerDeepLift.Default)).Attribute(x),
            "LayerLrp" => OptL(e.At("conv1").With(LayerLrp.Default)).Attribute(x),
            "LayerFeatureAblation" => OptL(e.At("conv1").With(LayerFeatureAblation.Default)).Attribute(x),
            "NeuronGradient" => OptN(Explain(model).At("fc").Neuron(1).With(NeuronGradient.Default)).Attribute(x),
            "NeuronIntegratedGradients" => OptN(Explain(model).At("fc").Neuron(1).With(NeuronIntegratedGradients.Steps(4))).Attribute(x),
            "NeuronDeepLift" => OptN(Explain(model).At("fc").Neuron(1).With(NeuronDeepLift.Default)).Attribute(x),
            "NeuronFeatureAblation" => OptN(Explain(model).At("fc").Neuron(1).With(NeuronFeatureAblation.Default)).Attribute(x),
            "Infidelity" => Metric(() => Opt(e.With(Saliency.Default)).Infidelity(Infidelity.GaussianNoise(0.1), x, x.detach().clone())),
            "SensitivityMax" => Metric(() => Opt(e.With(Saliency.Default)).SensitivityMax(SensitivityMax.Default, x)),
            _ => throw new ArgumentException(method),
        };
        a?.Dispose();
    }

    private static Attribution? Metric(Func<Tensor> compute)
    {
        compute().Dispose();
        return null;
    }

    private static Fuse Arm(nn.Module<Tensor, Tensor> model)
    {
        var fuse = new Fuse();
        var relu = (nn.Module<Tensor, Tensor>)model.named_children().First(c => c.name == "relu").module;
        relu.register_forward_hook((_, _, _) =>
        {
            int n = Interlocked.Increment(ref fuse.Calls);
            if (n == fuse.ThrowOn) throw new Blown();
            if (n == fuse.CancelOn) fuse.Cts.Cancel();
            return null!;
        });
        return fuse;
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void The_model_is_unchanged_after_success_exception_and_cancellation(string method)
    {
        using var scope = NewDisposeScope();
        var model = BatchNormCnn(training: false);
        var fuse = Arm(model);
        var x = Images(2, 5);
        var before = new Snapshot(model);

        Run(method, model, x, fuse.Cts.Token);
        before.AssertSame(model, $"after {method} succeeded");
        Assert.True(fuse.Calls > 0);
        Assert.Equal(1, Rules.RulesTestKit.HookCount(model)); // the user's own hook only
        int passes = fuse.Calls;

        fuse.Calls = 0;
        fuse.ThrowOn = Math.Max(1, (passes + 1) / 2);
        Assert.Throws<Blown>(() => Run(method, model, x, fuse.Cts.Token));
        before.AssertSame(model, $"after {method} threw");
        Assert.Equal(1, Rules.RulesTestKit.HookCount(model));

        fuse.Calls = 0;
        fuse.ThrowOn = 0;
        fuse.CancelOn = 1;
        try { Run(method, model, x, fuse.Cts.Token); }
        catch (OperationCanceledException) { }
        before.AssertSame(model, $"after {method} was cancelled");
        Assert.Equal(1, Rules.RulesTestKit.HookCount(model));
    }

    [Fact]
    public void A_model_in_training_mode_is_refused_naming_its_modules_and_both_ways_on()
    {
        using var scope = NewDisposeScope();
        var model = BatchNormCnn(training: true);
        var x = Images(2, 5);
        var e = Assert.Throws<ModelInTrainingModeException>(() => Explain(model).For(1).With(IntegratedGradients.Steps(4)).Attribute(x));
        Assert.Equal("model", e.ParamName);
        Assert.Contains("'bn' (BatchNorm2d)", e.Message);
        Assert.Contains("'drop' (Dropout)", e.Message);
        Assert.Contains("eval()", e.Message);
        Assert.Contains("WithTrainingMode()", e.Message);
        Assert.Equal(2, e.Modules.Count);
        Assert.Throws<ModelInTrainingModeException>(() => Explain(model).For(1).At("conv1").With(LayerGradCam.Default).Attribute(x));
        Assert.Throws<ModelInTrainingModeException>(() => Explain(model).At("fc").Neuron(0).With(NeuronGradient.Default).Attribute(x));
        Assert.True(model.training);

        model.eval();
        using var ok = Explain(model).For(1).With(IntegratedGradients.Steps(4)).Attribute(x);
    }

    [Theory]
    [InlineData("IntegratedGradients")]
    [InlineData("LayerConductance")]
    [InlineData("DeepLift")]
    [InlineData("Occlusion")]
    public void With_training_mode_the_model_runs_as_it_is_and_every_buffer_and_flag_is_restored(string method)
    {
        using var scope = NewDisposeScope();
        var model = BatchNormCnn(training: true);
        var fuse = Arm(model);
        var x = Images(4, 5);
        var before = new Snapshot(model);
        Run(method, model, x, CancellationToken.None, training: true);
        before.AssertSame(model, $"after {method} in training mode");

        int passes = fuse.Calls;
        fuse.Calls = 0;
        fuse.ThrowOn = Math.Max(1, (passes + 1) / 2);
        Assert.Throws<Blown>(() => Run(method, model, x, CancellationToken.None, training: true));
        before.AssertSame(model, $"after {method} threw in training mode");
    }

    [Fact]
    public void Without_the_guard_a_training_mode_forward_would_move_the_running_mean()
    {
        // Proves that the restore test above can fail: the forward pass in training mode does change the buffers.
        using var scope = NewDisposeScope();
        var model = BatchNormCnn(training: true);
        var before = new Snapshot(model);
        using (no_grad()) model.call(Images(4, 5));
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => before.AssertSame(model, "after a plain training-mode forward"));
    }
}
