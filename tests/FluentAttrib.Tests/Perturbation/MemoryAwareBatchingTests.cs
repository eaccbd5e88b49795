using static FluentAttrib.Fluent;
using static FluentAttrib.Tests.Perturbation.PerturbationTestKit;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Perturbation;

/// <summary>
/// Every method that picks its batch from the memory budget gives the same result whatever the budget: a 1-byte
/// budget (one example or copy per pass) equals the default budget (everything batched) and an explicit batch size.
/// </summary>
public class MemoryAwareBatchingTests
{
    public static TheoryData<string> Methods() =>
    [
        "Occlusion", "IncrementalOcclusion", "FeatureAblation", "FeaturePermutation", "ShapleyValues", "ShapleyValueSampling",
        "KernelShap", "Lime", "IntegratedGradients", "GradientShap", "LayerConductance", "LayerIntegratedGradients",
        "NeuronConductance", "InternalInfluence", "NoiseTunnel",
    ];

    private static Attribution Run(string method, long budget)
    {
        var cnn = Cnn();
        var x = Data(3, ScalarType.Float64, 3, 2, 6, 7);
        var mask = arange(42).reshape(1, 1, 6, 7).div(9, rounding_mode: RoundingMode.floor); // 5 features
        var e = Explain(cnn).For(new[] { 0, 2, 1 });
        return method switch
        {
            "Occlusion" => e.With(Occlusion.Window(2, 3, 3).Stride(1, 2, 2).Incremental(false)).WithMemoryBudget(budget).Attribute(x),
            "IncrementalOcclusion" => e.With(Occlusion.Window(1, 2, 2).Stride(1, 2, 2) with { MinimumIncrementalGain = 0 }).WithMemoryBudget(budget).Attribute(x),
            "FeatureAblation" => e.With(FeatureAblation.Default.Mask(mask)).WithMemoryBudget(budget).Attribute(x),
            "FeaturePermutation" => e.With(FeaturePermutation.Default.Seed(11).Mask(mask)).WithMemoryBudget(budget).Attribute(x),
            "ShapleyValues" => e.With(ShapleyValues.Default.Mask(mask)).WithMemoryBudget(budget).Attribute(x),
            "ShapleyValueSampling" => e.With(ShapleyValueSampling.Samples(3).Seed(5).Mask(mask)).WithMemoryBudget(budget).Attribute(x),
            "KernelShap" => e.With(KernelShap.Samples(30).Seed(5).Mask(mask)).WithMemoryBudget(budget).Attribute(x),
            "Lime" => e.With(Lime.Samples(30).Seed(5).Mask(mask)).WithMemoryBudget(budget).Attribute(x),
            "IntegratedGradients" => e.With(IntegratedGradients.Steps(7)).WithMemoryBudget(budget).Attribute(x),
            "GradientShap" => e.With(GradientShap.Samples(5).Seed(3).BaselineDistribution(Data(9, ScalarType.Float64, 2, 2, 6, 7))).WithMemoryBudget(budget).Attribute(x),
            "LayerConductance" => e.At("conv").With(LayerConductance.Steps(6)).WithMemoryBudget(budget).Attribute(x),
            "LayerIntegratedGradients" => e.At("conv").With(LayerIntegratedGradients.Steps(6)).WithMemoryBudget(budget).Attribute(x),
            "NeuronConductance" => e.At("conv").Neuron(1, 2, 2).With(NeuronConductance.Steps(6)).WithMemoryBudget(budget).Attribute(x),
            "InternalInfluence" => e.At("conv").With(InternalInfluence.Steps(6)).WithMemoryBudget(budget).Attribute(x),
            // Noise is drawn per pass, so passes change the draws: without noise the passes alone are compared.
            "NoiseTunnel" => e.With(NoiseTunnel.SmoothGrad(IntegratedGradients.Steps(4)).Samples(5).StdDev(0)).WithMemoryBudget(budget).Attribute(x),
            _ => throw new ArgumentException(method),
        };
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Batched_equals_one_at_a_time(string method)
    {
        using var oneAtATime = Run(method, budget: 1);
        using var batched = Run(method, budget: 1L << 30);
        if (method == "IncrementalOcclusion")
        {
            // Both budgets must take the incremental path, or this case would repeat plain "Occlusion".
            IncrementalOcclusionTests.AssertIncremental(oneAtATime, "budget 1");
            IncrementalOcclusionTests.AssertIncremental(batched, "default budget");
        }
        Assert.Equal(oneAtATime.Values.Count, batched.Values.Count);
        for (int i = 0; i < batched.Values.Count; i++)
            AssertClose(oneAtATime.Values[i], batched.Values[i], atol: 1e-10, rtol: 1e-8);
    }
}
