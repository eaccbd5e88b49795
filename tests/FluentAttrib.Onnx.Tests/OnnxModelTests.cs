using FluentAttrib.Onnx;
using Microsoft.ML.OnnxRuntime;
using static FluentAttrib.Fluent;
using static FluentAttrib.Onnx.OnnxFluent;
using static TorchSharp.torch;

namespace FluentAttrib.Onnx.Tests;

/// <summary>
/// Every forward-only method through an ONNX Runtime session equals the same method on the same computation written
/// in TorchSharp (float32 both ways; ONNX Runtime and libtorch round differently, hence 1e-5 rather than equality).
/// </summary>
public sealed class OnnxModelTests
{
    private const double Tolerance = 1e-5;

    public static TheoryData<string> MethodNames => new(Methods.Keys);

    private static readonly Dictionary<string, AttributionMethod> Methods = new()
    {
        ["Occlusion"] = Occlusion.Window(2).Stride(1),
        ["FeatureAblation"] = FeatureAblation.Default,
        ["FeatureAblation with mask"] = FeatureAblation.Default.Mask(tensor(new long[] { 0, 0, 1, 1, 2, 2 }).reshape(1, 6)).Baseline(0.25),
        ["FeaturePermutation"] = FeaturePermutation.Default.Seed(0),
        ["ShapleyValues"] = ShapleyValues.Default,
        ["ShapleyValueSampling"] = ShapleyValueSampling.Samples(5).Seed(0),
        ["Lime"] = Lime.Samples(40).Seed(0),
        ["KernelShap"] = KernelShap.Samples(40).Seed(0),
        ["NoiseTunnel(FeatureAblation)"] = NoiseTunnel.SmoothGrad(FeatureAblation.Default).Samples(3).StdDev(0.1).Seed(0),
    };

    private static Tensor Batch(int seed, long rows, long columns)
    {
        using var g = new Generator((ulong)seed);
        return randn([rows, columns], generator: g);
    }

    [Theory]
    [MemberData(nameof(MethodNames))]
    public void Equals_the_method_on_the_TorchSharp_function_with_a_dynamic_batch(string name) => Compare(name, fixedBatch: null);

    [Theory]
    [MemberData(nameof(MethodNames))]
    public void Equals_the_method_on_the_TorchSharp_function_with_a_fixed_batch_of_one(string name) => Compare(name, fixedBatch: 1);

    [Fact]
    public void A_fixed_batch_of_two_pads_the_last_run()
    {
        // 3 examples × 6 occlusions + 3 = 21 rows: ten runs of 2 and one padded run.
        var (session, torchForward) = TestGraphs.Mlp(fixedBatch: 2);
        using var _ = session;
        var x = Batch(3, 3, 6);
        using var onnx = Explain(session).For(1).With(Occlusion.Window(1)).Attribute(x);
        using var reference = Explain(torchForward).For(1).With(Occlusion.Window(1)).Attribute(x);
        AssertClose(reference.Value, onnx.Value);
    }

    [Fact]
    public void Rows_per_run_do_not_change_the_result()
    {
        var (session, _) = TestGraphs.Mlp();
        using var __ = session;
        var x = Batch(4, 5, 6);
        var model = OnnxModel.From(session);
        using var whole = Explain(model).For(0).With(KernelShap.Samples(30).Seed(1)).Attribute(x);
        using var threes = Explain(model.RowsPerRun(3)).For(0).With(KernelShap.Samples(30).Seed(1)).Attribute(x);
        AssertClose(whole.Value, threes.Value);
        Assert.Equal(3, model.RowsPerRun(3).Settings.RowsPerRun);
        Assert.Null(model.Settings.RowsPerRun);
    }

    [Fact]
    public void Several_inputs_are_fed_by_name_and_the_rest_as_additional_arguments()
    {
        var (session, y) = TestGraphs.TwoInputs();
        using var _ = session;
        var a = Batch(5, 4, 4);
        var b = Batch(6, 4, 4);
        var model = OnnxModel.From(session).Output("y");
        Assert.Equal(["a", "b"], model.Settings.Inputs);

        // Both inputs attributed.
        using var both = Explain(model).For(1).With(FeatureAblation.Default).Attribute(a, b);
        using var bothRef = Explain((Tensor p, Tensor q) => y(p, q)).For(1).With(FeatureAblation.Default).Attribute(a, b);
        AssertClose(bothRef.Values[0], both.Values[0]);
        AssertClose(bothRef.Values[1], both.Values[1]);

        // b attributed, a passed along: the order of Inputs(...) decides which graph input each tensor feeds.
        using var onlyB = Explain(model.Inputs("b", "a")).For(0).With(ShapleyValues.Default).WithAdditionalArguments(a).Attribute(b);
        using var onlyBRef = Explain((Tensor q, Tensor p) => y(p, q)).For(0).With(ShapleyValues.Default).WithAdditionalArguments(a).Attribute(b);
        AssertClose(onlyBRef.Value, onlyB.Value);

        // The other output.
        using var z = Explain(OnnxModel.From(session).Output("z")).For(0).With(FeatureAblation.Default).Attribute(a, b);
        Assert.Equal(0, z.Values[1].abs().max().item<float>()); // z does not read b
    }

    [Fact]
    public void Token_ids_go_in_as_int64()
    {
        var (session, torchForward) = TestGraphs.Tokens();
        using var _ = session;
        var ids = tensor(new long[] { 1, 4, 4, 9, 2, 0, 3, 7, 7, 5 }, [2, 5]);
        using var onnx = Explain(session).For(2).With(FeatureAblation.Default).Attribute(ids);
        using var reference = Explain(torchForward).For(2).With(FeatureAblation.Default).Attribute(ids);
        AssertClose(reference.Value, onnx.Value);

        var e = Assert.Throws<ArgumentException>(() => Explain(session).For(2).With(FeatureAblation.Default).Attribute(ids.to(ScalarType.Float32)));
        Assert.Equal("inputs", e.ParamName);
        Assert.Contains("'ids'", e.Message);
    }

    [Fact]
    public void The_metrics_run_through_the_session()
    {
        var (session, torchForward) = TestGraphs.Mlp();
        using var _ = session;
        var x = Batch(7, 3, 6);
        using var attribution = Explain(torchForward).For(2).With(FeatureAblation.Default).Attribute(x);
        var metric = Infidelity.GaussianNoise(0.1).Samples(6).Seed(3);
        var onnx = Explain(session).For(2).Infidelity(metric, x, attribution.Value);
        var reference = Explain(torchForward).For(2).Infidelity(metric, x, attribution.Value);
        Assert.True(onnx.allclose(reference, rtol: 1e-4, atol: 1e-6), $"{Show(onnx)} vs {Show(reference)}");

        var sensitivity = SensitivityMax.Samples(4).Seed(2);
        var onnxSens = Explain(session).For(2).With(FeatureAblation.Default).SensitivityMax(sensitivity, x);
        var refSens = Explain(torchForward).For(2).With(FeatureAblation.Default).SensitivityMax(sensitivity, x);
        Assert.True(onnxSens.allclose(refSens, rtol: 1e-4, atol: 1e-6), $"{Show(onnxSens)} vs {Show(refSens)}");
    }

    [Fact]
    public void Gradient_methods_fail_with_a_typed_error_before_any_run()
    {
        var (session, _) = TestGraphs.Mlp();
        using var __ = session;
        var x = Batch(8, 2, 6);
        var e = Assert.Throws<GradientsUnavailableException>(() => Explain(session).For(0).With(IntegratedGradients.Steps(8)).Attribute(x));
        Assert.Contains("ONNX model 'mlp'", e.Message);
        Assert.Throws<GradientsUnavailableException>(() => Explain(session).For(0).With(Saliency.Default).Attribute(x));
        Assert.Throws<GradientsUnavailableException>(() => Explain(session).For(0).With(NoiseTunnel.SmoothGrad(IntegratedGradients.Default)).Attribute(x));
        Assert.Throws<GradientsUnavailableException>(() => Explain(session).For(0).With(FeatureAblation.Default).SensitivityMax(SensitivityMax.Samples(2), x) is var s
            ? Explain(session).For(0).With(Saliency.Default).SensitivityMax(SensitivityMax.Samples(2), x) : s);
        Assert.Throws<InvalidOperationException>(() => Explain(session).At("fc1"));
    }

    [Fact]
    public void Bad_names_shapes_and_outputs_are_reported()
    {
        var (session, _) = TestGraphs.TwoInputs();
        using var __ = session;
        var several = Assert.Throws<InvalidOperationException>(() => Explain(session));
        Assert.Contains("'y', 'z'", several.Message);
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => OnnxModel.From(session).Output("logits")).ParamName);
        Assert.Equal("names", Assert.Throws<ArgumentException>(() => OnnxModel.From(session).Inputs("a", "c")).ParamName);
        Assert.Equal("names", Assert.Throws<ArgumentException>(() => OnnxModel.From(session).Inputs("a", "a")).ParamName);

        var model = OnnxModel.From(session).Output("y");
        var tooFew = Assert.Throws<ArgumentException>(() => Explain(model).For(0).With(FeatureAblation.Default).Attribute(Batch(1, 2, 4)));
        Assert.Equal("inputs", tooFew.ParamName);
        var wrongShape = Assert.Throws<ArgumentException>(() => Explain(model).For(0).With(FeatureAblation.Default).Attribute(Batch(1, 2, 4), Batch(2, 2, 5)));
        Assert.Equal("inputs", wrongShape.ParamName);
        Assert.Contains("'b'", wrongShape.Message);
        Assert.Contains("[N, 4]", wrongShape.Message);
    }

    [Fact]
    public void Run_returns_the_sessions_output_with_the_head_applied()
    {
        var (session, torchForward) = TestGraphs.Mlp();
        using var _ = session;
        var x = Batch(9, 4, 6);
        var model = OnnxModel.From(session);
        AssertClose(torchForward(x), model.Run(x));
        AssertClose(torchForward(x).sum([1], keepdim: true), model.Head(y => y.sum([1], keepdim: true)).Run(x));
        Assert.Equal("the ONNX model 'mlp' (output 'y')", model.ToString());
    }

    private static void Compare(string name, int? fixedBatch)
    {
        var (session, torchForward) = TestGraphs.Mlp(fixedBatch);
        using var _ = session;
        var x = Batch(2, 4, 6);
        var method = Methods[name];
        using var onnx = Explain(session).For(2).With(method).Attribute(x);
        using var reference = Explain(torchForward).For(2).With(method).Attribute(x);
        AssertClose(reference.Value, onnx.Value);
    }

    private static string Show(Tensor t) => string.Join(", ", t.to(ScalarType.Float64).data<double>().ToArray().Select(v => v.ToString("G6")));

    private static void AssertClose(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        double diff = (expected.to(ScalarType.Float64) - actual.to(ScalarType.Float64)).abs().max().item<double>();
        Assert.True(diff <= Tolerance, $"largest difference {diff:G3}");
    }
}
