using TorchSharp;
using static FluentAttrib.Fluent;
using static FluentAttrib.Tests.Perturbation.PerturbationTestKit;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Perturbation;

public class PerturbationMemoryTests
{
    public static TheoryData<string> Methods() => ["Occlusion", "FeatureAblation", "FeaturePermutation", "ShapleyValues", "ShapleyValueSampling"];

    private static AttributionMethod Method(string name, Tensor mask) => name switch
    {
        "Occlusion" => Occlusion.Window(1, 2, 3).Stride(1, 2, 2).PerturbationsPerPass(3),
        "FeatureAblation" => FeatureAblation.Default.Mask(mask).PerturbationsPerPass(3),
        "FeaturePermutation" => FeaturePermutation.Default.Mask(mask).Seed(1).PerturbationsPerPass(3),
        "ShapleyValues" => ShapleyValues.Default.Mask(mask).PerturbationsPerPass(3),
        "ShapleyValueSampling" => ShapleyValueSampling.Samples(3).Mask(mask).Seed(1).PerturbationsPerPass(3),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Methods))]
    public void Only_the_attributions_outlive_the_call(string name)
    {
        var model = Cnn();
        var x = Data(1, ScalarType.Float64, 2, 2, 6, 7);
        var mask = arange(42, dtype: ScalarType.Int64).reshape(1, 1, 6, 7).remainder(5);
        var run = Explain(model).For(1).With(Method(name, mask));
        run.Attribute(x).Dispose(); // warm-up: lazily created state of the model and runtime
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 3; i++)
        {
            using var a = run.Attribute(x);
            Assert.Equal(x.shape, a.Value.shape);
        }
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
