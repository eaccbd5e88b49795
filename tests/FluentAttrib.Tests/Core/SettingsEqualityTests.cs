using static TorchSharp.torch;

namespace FluentAttrib.Tests.Core;

/// <summary>Settings holding arrays compare by value: identically built settings are equal with equal hash codes.</summary>
public class SettingsEqualityTests
{
    private static void AssertValueEqual<T>(T a, T b, T different) where T : class
    {
        Assert.NotSame(a, b);
        Assert.Equal(a, b);
        Assert.True(a.Equals(b));
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, different);
    }

    [Fact]
    public void OcclusionComparesWindowsAndStridesByValue()
    {
        AssertValueEqual(
            Occlusion.Window(3, 45, 45).Stride(3, 9, 9),
            Occlusion.Window(3, 45, 45).Stride(3, 9, 9),
            Occlusion.Window(3, 45, 45).Stride(3, 8, 8));
        Assert.True(Occlusion.Window(3, 45, 45).Stride(3, 9, 9) == Occlusion.Window(3, 45, 45).Stride(3, 9, 9));
        Assert.True(Occlusion.Window(3, 45, 45) != Occlusion.Window(3, 44, 45));
    }

    [Fact]
    public void NoiseTunnelComparesStandardDeviationsByValue() =>
        AssertValueEqual(
            NoiseTunnel.SmoothGrad(Saliency.Default).StdDevs(0.1, 0.2),
            NoiseTunnel.SmoothGrad(Saliency.Default).StdDevs(0.1, 0.2),
            NoiseTunnel.SmoothGrad(Saliency.Default).StdDevs(0.1, 0.3));

    [Fact]
    public void GradientShapComparesStdDevsAndDistributionByValue()
    {
        TorchRuntime.EnsureLoaded();
        using var distribution = zeros(3, 4);
        AssertValueEqual(
            GradientShap.Default.StdDevs(0.1, 0.2).BaselineDistribution(distribution),
            GradientShap.Default.StdDevs(0.1, 0.2).BaselineDistribution(distribution),
            GradientShap.Default.StdDevs(0.1, 0.3).BaselineDistribution(distribution));
    }

    [Fact]
    public void LayerGradientShapComparesNoiseByValue() =>
        AssertValueEqual(
            LayerGradientShap.Default.StdDevs(0.1, 0.2),
            LayerGradientShap.Default.StdDevs(0.1, 0.2),
            LayerGradientShap.Default.StdDevs(0.2, 0.1));

    [Fact]
    public void NeuronGradientShapComparesNoiseByValue() =>
        AssertValueEqual(
            NeuronGradientShap.Default.StdDevs(0.1, 0.2),
            NeuronGradientShap.Default.StdDevs(0.1, 0.2),
            NeuronGradientShap.Default.StdDev(0.1));

    /// <summary>Same distribution tensors in the same order: equal; swapped: different.</summary>
    private static void AssertDistributionValueEqual<T>(Func<Tensor[], T> build) where T : class
    {
        TorchRuntime.EnsureLoaded();
        using var first = zeros(2, 4);
        using var second = ones(2, 4);
        AssertValueEqual(build([first, second]), build([first, second]), build([second, first]));
    }

    [Fact]
    public void DeepLiftShapComparesDistributionByValue() => AssertDistributionValueEqual(DeepLiftShap.BaselineDistribution);

    [Fact]
    public void LayerDeepLiftShapComparesDistributionByValue() => AssertDistributionValueEqual(LayerDeepLiftShap.BaselineDistribution);

    [Fact]
    public void NeuronDeepLiftShapComparesDistributionByValue() => AssertDistributionValueEqual(NeuronDeepLiftShap.BaselineDistribution);
}
