using FluentAttrib.Core.Rules;
using FluentAttrib.Architectures;
using TorchSharp;
using Xunit.Abstractions;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Rules;

/// <summary>
/// On an explainable ResNet-18 with random weights: DeepLift's and LRP's attributions add up to the output
/// difference, and guided backpropagation reaches every ReLU. The errors are printed (run with
/// <c>--logger "console;verbosity=detailed"</c>).
/// </summary>
public class CompletenessTests(ITestOutputHelper output)
{
    private static ExplainableResNet RandomResNet18(ScalarType dtype, bool randomBatchNorm = true, bool biases = true) =>
        RulesTestKit.ResNet18(dtype, seed: 11, biases: biases, randomBatchNorm: randomBatchNorm);

    private static Tensor Images(ScalarType dtype, long seed = 5)
    {
        using var g = new Generator((ulong)seed);
        return rand([2, 3, 64, 64], generator: g).to(dtype);
    }

    [Theory]
    [InlineData(ScalarType.Float32, true)]
    [InlineData(ScalarType.Float64, true)]
    [InlineData(ScalarType.Float64, false)]
    public void DeepLift_attributions_sum_to_the_output_difference(ScalarType dtype, bool captumQuirks)
    {
        using var scope = NewDisposeScope();
        var model = RandomResNet18(dtype);
        var x = Images(dtype);
        var baseline = Images(dtype, seed: 9) * 0.5;
        foreach (var (name, b) in new[] { ("zero", (Baselines)0.0), ("random", (Baselines)baseline) })
        {
            var (attr, delta) = Explain(model).For(3).With(DeepLift.Default.Baseline(b).CaptumQuirks(captumQuirks).ReturnDelta()).Attribute(x);
            using var _ = no_grad();
            var outputDiff = (model.call(x) - model.call(name == "zero" ? zeros_like(x) : baseline))[.., 3].to(ScalarType.Float64);
            double error = delta!.abs().max().ToDouble();
            double relative = error / outputDiff.abs().max().ToDouble();
            output.WriteLine($"DeepLift {dtype} {name} baseline, quirks {captumQuirks}: |Σ attr − ΔF| ≤ {error:G3} (relative {relative:G3}); ΔF = {string.Join(", ", outputDiff.data<double>().ToArray().Select(v => v.ToString("G4")))}");
            Assert.Equal(x.shape, attr.shape);
            double bound = dtype == ScalarType.Float64 ? 1e-9 : 1e-4;
            if (!captumQuirks || name == "zero") Assert.True(relative < bound, $"relative error {relative}");
        }
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Lrp_relevance_sums_to_the_output_when_no_bias_absorbs_it(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        // BatchNorm as initialised (a pure scaling), no bias in the head: nothing absorbs relevance but ε.
        var model = RandomResNet18(dtype, randomBatchNorm: false, biases: false);
        var x = Images(dtype);
        var (attr, delta) = Explain(model).For(3).With(Lrp.Default.ReturnDelta()).Attribute(x);
        using var _ = no_grad();
        var fx = model.call(x)[.., 3];
        double relative = delta!.abs().max().ToDouble() / fx.abs().max().ToDouble();
        output.WriteLine($"LRP {dtype}, no biases: |F(x) − Σ R| / |F(x)| = {relative:G3} (F(x) = {string.Join(", ", fx.to(ScalarType.Float64).data<double>().ToArray().Select(v => v.ToString("G4")))})");
        Assert.True(relative < (dtype == ScalarType.Float64 ? 1e-6 : 1e-4), $"relative error {relative}");

        // With random BatchNorm statistics and a head bias, relevance is absorbed by the biases: report how much.
        var biased = RandomResNet18(dtype);
        var (_, biasedDelta) = Explain(biased).For(3).With(Lrp.Default.ReturnDelta()).Attribute(x);
        var biasedOut = biased.call(x)[.., 3];
        output.WriteLine($"LRP {dtype}, random BatchNorm and biases: |F(x) − Σ R| / |F(x)| = {(biasedDelta!.abs().max().ToDouble() / biasedOut.abs().max().ToDouble()):G3} (absorbed by biases)");
    }

    [Fact]
    public void GuidedBackprop_reaches_every_relu()
    {
        using var scope = NewDisposeScope();
        var model = RandomResNet18(ScalarType.Float32);
        var relus = model.named_modules().Where(m => m.module is TorchSharp.Modules.ReLU).Select(m => m.name).ToHashSet();
        Assert.Equal(17, relus.Count);
        (string Path, nn.Module Module, int Calls, int BackwardCalls)[]? seen = null;
        RuleSession.PassObserver = s => seen = s;
        try
        {
            Explain(model).For(1).With(GuidedBackprop.Default).Attribute(Images(ScalarType.Float32));
        }
        finally
        {
            RuleSession.PassObserver = null;
        }
        Assert.NotNull(seen);
        Assert.Equal(relus, seen!.Select(s => s.Path).ToHashSet());
        Assert.All(seen, s => Assert.Equal((1, 1), (s.Calls, s.BackwardCalls)));
        output.WriteLine($"GuidedBackprop: {seen.Length} ReLU modules hooked, each called once and visited once in backward; the model has {relus.Count} ReLUs and applies none functionally.");
    }
}
