using FluentAttrib.Architectures;
using TorchSharp;
using static FluentAttrib.Fluent;
using static FluentAttrib.Tests.Rules.RulesTestKit;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FluentAttrib.Tests.Rules;

/// <summary>
/// The rule mechanism leaves the model exactly as it was (after success, an exception in forward or backward,
/// or a cancellation), leaves no hook behind, and rejects what Captum would silently get wrong.
/// </summary>
public class RuleMechanismTests
{
    public static TheoryData<string> Methods() =>
        ["DeepLift", "DeepLiftShap", "GradientShap", "GuidedBackprop", "Deconvolution", "LRP", "LRP-gamma"];

    private static AttributionMethod Method(string name, Tensor distribution, string prefix = "") => name switch
    {
        "DeepLift" => DeepLift.Default.Baseline(0.1).ReturnDelta(),
        "DeepLiftShap" => DeepLiftShap.BaselineDistribution(distribution).ReturnDelta(),
        "GradientShap" => GradientShap.Samples(3).StdDev(0.1).BaselineDistribution(distribution).Seed(1).InternalBatchSize(2).ReturnDelta(),
        "GuidedBackprop" => GuidedBackprop.Default,
        "Deconvolution" => Deconvolution.Default,
        "LRP" => Lrp.Default.ReturnDelta(),
        "LRP-gamma" => Lrp.Default.Rule<TorchSharp.Modules.Conv2d>(LrpRule.Gamma(0.25)).Rule(prefix + "fc", LrpRule.Alpha1Beta0(setBiasToZero: true))
            .Rule(prefix + "bn1", LrpRule.Gamma(0.1)).Rule(prefix + "layer1.0.bn2", LrpRule.Identity).ReturnDelta(),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Methods))]
    public void The_model_is_unchanged_bit_for_bit_and_no_hook_is_left(string name)
    {
        using var scope = NewDisposeScope();
        var model = ResNet18();
        var x = Data(1, ScalarType.Float32, 2, 3, 32, 32);
        using var snapshot = new Snapshot(model);
        using (var a = Explain(model).For(Target.PerExample(1, 4)).With(Method(name, Data(2, ScalarType.Float32, 3, 3, 32, 32))).Attribute(x))
        {
            Assert.Equal(x.shape, a.Value.shape);
            Assert.False(a.Value.isnan().any().item<bool>());
        }
        snapshot.AssertUnchanged();
        Assert.False(x.requires_grad);
    }

    /// <summary>A module that throws in forward when armed (a failure in the middle of the model).</summary>
    private sealed class Tripwire(int armedAfter) : Module<Tensor, Tensor>("Tripwire")
    {
        private int _calls;
        public override Tensor forward(Tensor input) =>
            ++_calls > armedAfter ? throw new InvalidOperationException("tripwire") : input.alias();
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void An_exception_in_the_middle_of_the_forward_pass_leaves_the_model_unchanged(string name)
    {
        using var scope = NewDisposeScope();
        var resnet = ResNet18();
        var model = Sequential(("net", resnet), ("trip", new Tripwire(0)));
        model.eval();
        var method = Method(name, Data(2, ScalarType.Float32, 3, 3, 32, 32), prefix: "net.");
        if (method is Lrp lrp) method = lrp.Rule("trip", LrpRule.Identity);
        using var snapshot = new Snapshot(model);
        var e = Assert.Throws<InvalidOperationException>(() =>
            Explain(model).For(1).With(method).Attribute(Data(1, ScalarType.Float32, 2, 3, 32, 32)));
        Assert.Equal("tripwire", e.Message);
        snapshot.AssertUnchanged();
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void A_cancelled_attribution_leaves_the_model_unchanged(string name)
    {
        using var scope = NewDisposeScope();
        var model = ResNet18();
        using var snapshot = new Snapshot(model);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            Explain(model).For(1).With(Method(name, Data(2, ScalarType.Float32, 3, 3, 32, 32))).WithCancellation(cts.Token)
                .Attribute(Data(1, ScalarType.Float32, 2, 3, 32, 32)));
        snapshot.AssertUnchanged();
    }

    [Fact]
    public void An_exception_inside_a_rule_backward_is_rethrown_after_autograd_and_names_the_layer()
    {
        using var scope = NewDisposeScope();
        var model = Mlp();
        using var snapshot = new Snapshot(model);
        // The identity rule needs equal input and output shapes; fc2 maps 10 → 8. The failure happens inside the
        // native autograd engine's call into our backward, where an exception would abort the process.
        var e = Assert.Throws<ArgumentException>(() =>
            Explain(model).For(1).With(Lrp.Default.Rule("fc2", LrpRule.Identity)).Attribute(Data(1, ScalarType.Float64, 3, 6)));
        Assert.Contains("'fc2'", e.Message);
        snapshot.AssertUnchanged();
        // The model still works with every method afterwards.
        Explain(model).For(1).With(Lrp.Default).Attribute(Data(1, ScalarType.Float64, 3, 6)).Dispose();
    }

    [Fact]
    public void A_reused_nonlinearity_is_rejected_by_DeepLift_and_LRP_and_handled_call_by_call_by_GuidedBackprop()
    {
        using var scope = NewDisposeScope();
        var reference = Mlp();
        var modules = reference.named_children().ToDictionary(c => c.name, c => (Module<Tensor, Tensor>)c.module);
        var shared = ReLU();
        var reused = Sequential(("fc1", modules["fc1"]), ("relu", shared), ("fc2", modules["fc2"]), ("relu_again", shared), ("fc3", modules["fc3"]));
        var x = Data(4, ScalarType.Float64, 3, 6);

        var dl = Assert.Throws<ArgumentException>(() => Explain(reused).For(1).With(DeepLift.Default).Attribute(x));
        Assert.Contains("'relu' (ReLU)", dl.Message);
        Assert.Contains("more than once", dl.Message);
        var lrp = Assert.Throws<ArgumentException>(() => Explain(reused).For(1).With(Lrp.Default).Attribute(x));
        Assert.Contains("'relu'", lrp.Message);
        Assert.Equal(0, HookCount(reused));

        foreach (var method in new AttributionMethod[] { GuidedBackprop.Default, Deconvolution.Default })
        {
            using var expected = Explain(reference).For(1).With(method).Attribute(x);
            using var actual = Explain(reused).For(1).With(method).Attribute(x);
            Assert.True(expected.Value.allclose(actual.Value, rtol: 0, atol: 0), method.Name);
        }
    }

    /// <summary>Blocks the forward pass until released.</summary>
    private sealed class Gate(ManualResetEventSlim entered, ManualResetEventSlim release) : Module<Tensor, Tensor>("Gate")
    {
        private int _entries;

        /// <summary>Forward calls that have entered the gate.</summary>
        public int Entries => Volatile.Read(ref _entries);

        public override Tensor forward(Tensor input)
        {
            Interlocked.Increment(ref _entries);
            entered.Set();
            release.Wait(TimeSpan.FromSeconds(30));
            return input.alias();
        }
    }

    [Fact]
    public async Task Two_rule_based_attributions_on_one_model_at_the_same_time_give_their_results_alone()
    {
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var mlp = Mlp();
        var parts = mlp.named_children().ToDictionary(c => c.name, c => (Module<Tensor, Tensor>)c.module);
        var gate = new Gate(entered, release);
        var model = Sequential(("fc1", parts["fc1"]), ("relu1", parts["relu1"]), ("gate", gate), ("fc2", parts["fc2"]));
        var x = Data(1, ScalarType.Float64, 2, 6);
        var alone = Sequential(("fc1", parts["fc1"]), ("relu1", parts["relu1"]), ("fc2", parts["fc2"]));
        var deepLiftAlone = Explain(alone).For(0).With(DeepLift.Default).Attribute(x).Value.detach().clone().DetachFromDisposeScope();
        var guidedAlone = Explain(alone).For(0).With(GuidedBackprop.Default).Attribute(x).Value.detach().clone().DetachFromDisposeScope();
        var first = Task.Run(() =>
        {
            using var scope = NewDisposeScope();
            return Explain(model).For(0).With(DeepLift.Default).Attribute(x).Value.detach().clone().DetachFromDisposeScope();
        });
        Assert.True(entered.Wait(TimeSpan.FromSeconds(30)));
        // The gate blocks every caller until released: run the second attribution on its own thread too.
        var second = Task.Run(() =>
        {
            using var scope = NewDisposeScope();
            return Explain(model).For(0).With(GuidedBackprop.Default).Attribute(x).Value.detach().clone().DetachFromDisposeScope();
        });
        Assert.True(SpinWait.SpinUntil(() => gate.Entries == 2, TimeSpan.FromSeconds(30)), "the second attribution did not reach the gate");
        release.Set();
        var deepLift = await first.WaitAsync(TimeSpan.FromSeconds(30));
        var guided = await second.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(deepLift.allclose(deepLiftAlone, rtol: 1e-12, atol: 1e-14));
        Assert.True(guided.allclose(guidedAlone, rtol: 1e-12, atol: 1e-14));
        Assert.Equal(0, HookCount(model));
    }

    [Fact]
    public void TorchVision_resnet_is_rejected_with_the_explainable_equivalent_named()
    {
        using var scope = NewDisposeScope();
        var tv = torchvision.models.resnet18(num_classes: 3);
        tv.eval();
        foreach (var method in new AttributionMethod[] { DeepLift.Default, GuidedBackprop.Default, Deconvolution.Default, Lrp.Default })
        {
            var e = Assert.Throws<ArgumentException>(() => Explain(tv).For(0).With(method).Attribute(Data(1, ScalarType.Float32, 1, 3, 32, 32)));
            Assert.Contains("ExplainableResNet.From(model)", e.Message);
            Assert.Equal("model", e.ParamName);
        }
        Assert.Equal(0, HookCount(tv));
        // The explainable equivalent works and gives the same output.
        var ex = ExplainableResNet.From(tv);
        Explain(ex).For(0).With(GuidedBackprop.Default).Attribute(Data(1, ScalarType.Float32, 1, 3, 32, 32)).Dispose();
    }

    [Fact]
    public void A_nonlinearity_without_a_DeepLift_rule_is_named_unless_treated_as_linear()
    {
        using var scope = NewDisposeScope();
        var model = Sequential(("fc1", Linear(4, 5)), ("act", GELU()), ("fc2", Linear(5, 2)));
        model.to(ScalarType.Float64);
        var x = Data(1, ScalarType.Float64, 2, 4);
        var e = Assert.Throws<ArgumentException>(() => Explain(model).For(0).With(DeepLift.Default).Attribute(x));
        Assert.Contains("'act' (GELU)", e.Message);
        Assert.Contains("TreatUnsupportedAsLinear", e.Message);
        using var a = Explain(model).For(0).With(DeepLift.Default.TreatUnsupportedAsLinear()).Attribute(x);
        Assert.Equal(x.shape, a.Value.shape);
    }

    [Fact]
    public void Lrp_names_a_layer_without_a_rule_and_checks_overrides()
    {
        using var scope = NewDisposeScope();
        var model = Cnn();
        var x = Data(3, ScalarType.Float64, 2, 1, 8, 8);
        // A shape-only module (Flatten) passes relevance through by default: LRP runs on a plain CNN.
        using (var plain = Explain(model).For(0).With(Lrp.Default).Attribute(x))
            Assert.Equal(x.shape, plain.Value.shape);
        var withNorm = Sequential(("fc", Linear(4, 4)), ("norm", LayerNorm(4)), ("out", Linear(4, 2)));
        withNorm.to(ScalarType.Float64).eval();
        var noRule = Assert.Throws<ArgumentException>(() => Explain(withNorm).For(0).With(Lrp.Default).Attribute(Data(2, ScalarType.Float64, 2, 4)));
        Assert.Contains("'norm' (LayerNorm)", noRule.Message);
        Assert.Contains("Lrp.Default.Rule(\"norm\", LrpRule.Epsilon())", noRule.Message);
        // The hint works.
        using (var hinted = Explain(withNorm).For(0).With(Lrp.Default.Rule("norm", LrpRule.Epsilon())).Attribute(Data(2, ScalarType.Float64, 2, 4)))
            Assert.Equal([2L, 4L], hinted.Value.shape);

        var typo = Assert.Throws<ArgumentException>(() => Explain(model).For(0).With(Lrp.Default.Rule("flaten", LrpRule.Epsilon())).Attribute(x));
        Assert.Contains("'flaten'", typo.Message);
        Assert.Contains("'flatten'", typo.Message);

        var gammaOnPool = Assert.Throws<ArgumentException>(() =>
            Explain(model).For(0).With(Lrp.Default.Rule("flatten", LrpRule.Epsilon()).Rule("pool1", LrpRule.Gamma())).Attribute(x));
        Assert.Contains("'pool1' (MaxPool2d)", gammaOnPool.Message);

        var container = Assert.Throws<ArgumentException>(() =>
            Explain(ResNet18()).For(0).With(Lrp.Default.Rule("layer1", LrpRule.Epsilon())).Attribute(Data(1, ScalarType.Float32, 1, 3, 32, 32)));
        Assert.Contains("'layer1'", container.Message);

        using var ok = Explain(model).For(0).With(Lrp.Default.Rule("flatten", LrpRule.Epsilon())).Attribute(x);
        Assert.Equal(0, HookCount(model));
    }

    [Fact]
    public void Rule_methods_need_the_model_as_a_module()
    {
        using var scope = NewDisposeScope();
        var model = Mlp();
        var x = Data(1, ScalarType.Float64, 2, 6);
        foreach (var method in new AttributionMethod[] { DeepLift.Default, DeepLiftShap.BaselineDistribution(zeros(2, 6, dtype: ScalarType.Float64)), GuidedBackprop.Default, Deconvolution.Default, Lrp.Default })
        {
            var e = Assert.Throws<ArgumentException>(() => Explain(t => model.call(t)).For(0).With(method).Attribute(x));
            Assert.Equal("model", e.ParamName);
            Assert.Contains("Explain(module)", e.Message);
        }
    }

    [Fact]
    public void Lrp_gamma_and_alpha1beta0_match_a_hand_computation_without_touching_the_weights()
    {
        using var scope = NewDisposeScope();
        var model = Mlp();
        var x = Data(7, ScalarType.Float64, 3, 6);
        var p = model.named_parameters().ToDictionary(q => q.name, q => q.parameter.detach().clone());
        using var snapshot = new Snapshot(model);
        using var a = Explain(model).For(2).With(Lrp.Default.Rule("fc1", LrpRule.Gamma(0.5)).Rule("fc2", LrpRule.Alpha1Beta0(setBiasToZero: true))).Attribute(x);
        snapshot.AssertUnchanged();

        static Tensor Stabilise(Tensor z) => z + where(z.sign() == 0, ones_like(z), z.sign()) * 1e-9;
        var w1 = p["fc1.weight"] + 0.5 * p["fc1.weight"].clamp(min: 0);
        var w2 = p["fc2.weight"].clamp(min: 0);
        var a1 = functional.relu(functional.linear(x, p["fc1.weight"], p["fc1.bias"]));
        var a2 = functional.relu(functional.linear(a1, p["fc2.weight"], p["fc2.bias"]));
        var z3 = functional.linear(a2, p["fc3.weight"], p["fc3.bias"]);
        var r3 = zeros_like(z3);
        r3[.., 2] = z3[.., 2];                                        // relevance at the output: the target's value
        var r2 = a2 * (r3 / Stabilise(z3)).matmul(p["fc3.weight"]);   // ε-rule on fc3
        var r1 = a1 * (r2 / Stabilise(functional.linear(a1, w2))).matmul(w2);                    // α1β0 on fc2, no bias
        var r0 = x * (r1 / Stabilise(functional.linear(x, w1, p["fc1.bias"]))).matmul(w1);     // γ on fc1
        Assert.True(r0.allclose(a.Value, rtol: 1e-10, atol: 1e-12), $"max diff {(r0 - a.Value).abs().max().ToDouble()}");
    }

    [Fact]
    public void DeepLift_options_custom_function_and_Captum_quirks()
    {
        using var scope = NewDisposeScope();
        var model = Cnn();
        var x = Data(8, ScalarType.Float64, 2, 1, 8, 8);
        var b = Data(9, ScalarType.Float64, 2, 1, 8, 8);
        using var local = Explain(model).For(1).With(DeepLift.Default.Baseline(b).MultiplyByInputs(false)).Attribute(x);
        using var custom = Explain(model).For(1).With(DeepLift.Default.Baseline(b).CustomAttribution((m, _, _) => [.. m])).Attribute(x);
        Assert.True(local.Value.allclose(custom.Value, rtol: 0, atol: 0));

        // Captum's hook order (ReLU → MaxPool) breaks completeness with per-example baselines; the textbook rules keep it.
        using var captum = Explain(model).For(1).With(DeepLift.Default.Baseline(b).ReturnDelta()).Attribute(x);
        using var textbook = Explain(model).For(1).With(DeepLift.Default.Baseline(b).CaptumQuirks(false).ReturnDelta()).Attribute(x);
        Assert.True(textbook.Delta!.abs().max().ToDouble() < 1e-12);
        Assert.True(captum.Delta!.abs().max().ToDouble() > 1e-6);
    }

    [Fact]
    public void GradientShap_is_reproducible_with_a_seed_and_independent_of_the_internal_batch()
    {
        using var scope = NewDisposeScope();
        var model = Mlp();
        var x = Data(10, ScalarType.Float64, 3, 6);
        var dist = Data(11, ScalarType.Float64, 4, 6);
        var method = GradientShap.Samples(7).StdDev(0.2).BaselineDistribution(dist).Seed(42).ReturnDelta();
        using var whole = Explain(model).For(0).With(method).Attribute(x);
        using var again = Explain(model).For(0).With(method).Attribute(x);
        using var pieces = Explain(model).For(0).With(method.InternalBatchSize(4)).Attribute(x);
        using var other = Explain(model).For(0).With(method.Seed(43)).Attribute(x);
        Assert.True(whole.Value.allclose(again.Value, rtol: 0, atol: 0));
        Assert.True(whole.Value.allclose(pieces.Value, rtol: 1e-12, atol: 1e-14));
        Assert.True(whole.Delta!.allclose(pieces.Delta!, rtol: 1e-12, atol: 1e-14));
        Assert.False(whole.Value.allclose(other.Value));
        Assert.Equal([21L], whole.Delta.shape);

        var progress = new List<AttributionProgress>();
        Explain(model).For(0).With(method.InternalBatchSize(4)).WithProgress(new SyncProgress(progress)).Attribute(x).Dispose();
        Assert.Equal(7, progress.Count);
        Assert.Equal(7, progress[^1].Completed);
    }

    private sealed class SyncProgress(List<AttributionProgress> sink) : IProgress<AttributionProgress>
    {
        public void Report(AttributionProgress value) => sink.Add(value);
    }

    [Fact]
    public void Invalid_settings_throw_when_the_method_is_built()
    {
        TorchRuntime.EnsureLoaded();
        Assert.Throws<ArgumentOutOfRangeException>(() => DeepLift.Default.Eps(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => DeepLift.Default.Eps(double.NaN));
        Assert.Throws<ArgumentNullException>(() => DeepLift.Default.Baseline(null!));
        Assert.Throws<ArgumentException>(() => DeepLiftShap.BaselineDistribution(zeros(1, 4)));
        Assert.Throws<ArgumentException>(() => DeepLiftShap.BaselineDistribution(zeros(3, 4), zeros(2, 4)));
        Assert.Throws<ArgumentException>(() => DeepLiftShap.BaselineDistribution());
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientShap.Samples(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientShap.Default.StdDev(-0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientShap.Default.StdDev(double.PositiveInfinity));
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientShap.Default.InternalBatchSize(0));
        Assert.Throws<ArgumentException>(() => GradientShap.Default.BaselineDistribution(zeros(0, 4)));
        Assert.Throws<ArgumentOutOfRangeException>(() => LrpRule.Epsilon(-1e-9));
        Assert.Throws<ArgumentOutOfRangeException>(() => LrpRule.Gamma(double.NaN));
        Assert.Throws<ArgumentException>(() => Lrp.Default.Rule("", LrpRule.Identity));
    }

    [Fact]
    public void Input_dependent_problems_throw_argument_exceptions()
    {
        using var scope = NewDisposeScope();
        var model = Mlp();
        var x = Data(1, ScalarType.Float64, 2, 6);
        var shape = Assert.Throws<ArgumentException>(() => Explain(model).For(0).With(DeepLiftShap.BaselineDistribution(zeros(3, 5, dtype: ScalarType.Float64))).Attribute(x));
        Assert.Equal("baselines", shape.ParamName);
        var count = Assert.Throws<ArgumentException>(() => Explain(model).For(0).With(GradientShap.Default.StdDevs(0.1, 0.2)).Attribute(x));
        Assert.Equal("stdDevs", count.ParamName);
        Assert.Throws<ArgumentException>(() => Explain(model).For(0).With(DeepLift.Default.Baseline(zeros(3, 6))).Attribute(x));
        Assert.ThrowsAny<ArgumentException>(() => Explain(model).For(7).With(DeepLift.Default).Attribute(x));
        Assert.Equal(0, HookCount(model));
    }
}
