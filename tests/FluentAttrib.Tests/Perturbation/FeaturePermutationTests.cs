using static FluentAttrib.Fluent;
using static FluentAttrib.Tests.Perturbation.PerturbationTestKit;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Perturbation;

public class FeaturePermutationTests
{
    [Fact]
    public void Batch_of_one_is_rejected()
    {
        var x = Data(1, ScalarType.Float64, 1, 6);
        var e = Assert.Throws<ArgumentException>(() => Explain(Mlp()).For(0).With(FeaturePermutation.Default).Attribute(x));
        Assert.Equal("inputs", e.ParamName);
        Assert.Contains("batch has 1", e.Message);
    }

    [Fact]
    public void Invalid_settings_are_rejected()
    {
        Assert.Equal("perturbations", Assert.Throws<ArgumentOutOfRangeException>(() => FeaturePermutation.Default.PerturbationsPerPass(0)).ParamName);
        Assert.Equal("mask", Assert.Throws<ArgumentNullException>(() => FeaturePermutation.Default.Mask(null!)).ParamName);
        var x = Data(1, ScalarType.Float64, 2, 6);
        var e = Assert.Throws<ArgumentException>(() =>
            Explain(Mlp()).For(0).With(FeaturePermutation.Default.Mask(zeros(2, 5, dtype: ScalarType.Int64))).Attribute(x));
        Assert.Equal("featureMask", e.ParamName);
    }

    [Fact]
    public void Settings_are_read_back_by_the_setters_names()
    {
        Assert.Null(FeaturePermutation.Default.Settings.Seed);
        Assert.Null(FeaturePermutation.Default.Settings.PerturbationsPerPass);
        var settings = FeaturePermutation.Default.Seed(9).PerturbationsPerPass(2).Settings;
        Assert.Equal(9L, settings.Seed);
        Assert.Equal(2, settings.PerturbationsPerPass);
        Assert.Null(settings.Mask);
    }

    [Fact]
    public void Batch_of_two_swaps_each_feature()
    {
        var model = Mlp();
        var x = Data(2, ScalarType.Float64, 2, 6);
        using var a = Explain(model).For(1).With(FeaturePermutation.Default.Mask(tensor(new long[] { 0, 0, 1, 1, 2, 2 }).reshape(1, 6))).Attribute(x);
        var full = Outputs(model, x, 1);
        for (long f = 0; f < 3; f++)
        {
            var swapped = x.clone();
            swapped[0, TensorIndex.Slice(2 * f, 2 * f + 2)] = x[1, TensorIndex.Slice(2 * f, 2 * f + 2)];
            swapped[1, TensorIndex.Slice(2 * f, 2 * f + 2)] = x[0, TensorIndex.Slice(2 * f, 2 * f + 2)];
            var outs = Outputs(model, swapped, 1);
            for (long b = 0; b < 2; b++)
                for (long j = 2 * f; j < 2 * f + 2; j++)
                    Assert.Equal(full[b] - outs[b], a.Value[b, j].item<double>(), 12);
        }
    }

    [Fact]
    public void Never_uses_the_identity_permutation()
    {
        // F = Σ x: a feature's attribution is x − x[perm]; the identity would give a row of zeros for that feature.
        Func<Tensor, Tensor> model = u => u.sum(dim: 1);
        var x = arange(9, dtype: ScalarType.Float64).reshape(3, 3);
        for (long seed = 0; seed < 30; seed++)
        {
            using var a = Explain(model).With(FeaturePermutation.Default.Seed(seed).PerturbationsPerPass(2)).Attribute(x);
            var nonZero = (a.Value != 0).any(dim: 0);
            Assert.True(nonZero.all().item<bool>(), $"seed {seed}: {a.Value.ToString(TorchSharp.TensorStringStyle.Numpy)}");
        }
    }

    [Fact]
    public void Same_seed_same_result()
    {
        var model = Mlp();
        var x = Data(3, ScalarType.Float64, 6, 6);
        using var a = Explain(model).For(0).With(FeaturePermutation.Default.Seed(42)).Attribute(x);
        using var b = Explain(model).For(0).With(FeaturePermutation.Default.Seed(42)).Attribute(x);
        using var c = Explain(model).For(0).With(FeaturePermutation.Default.Seed(43)).Attribute(x);
        AssertClose(a.Value, b.Value, atol: 0, rtol: 0);
        Assert.False((a.Value == c.Value).all().item<bool>());
    }

    [Fact]
    public void Batched_result_equals_unbatched()
    {
        var model = Cnn();
        var x = Data(4, ScalarType.Float64, 2, 2, 6, 7);
        var mask = arange(42, dtype: ScalarType.Int64).reshape(1, 1, 6, 7).remainder(4);
        using var one = Explain(model).For(0).With(FeaturePermutation.Default.Mask(mask).PerturbationsPerPass(1)).Attribute(x);
        using var seven = Explain(model).For(0).With(FeaturePermutation.Default.Mask(mask).PerturbationsPerPass(7)).Attribute(x);
        AssertClose(one.Value, seven.Value, atol: 1e-12);
    }

    [Fact]
    public void Float32_progress_and_cancellation()
    {
        var x = Data(5, ScalarType.Float32, 4, 6);
        var recorder = new Recorder();
        using var a = Explain(Mlp(ScalarType.Float32)).For(2).With(FeaturePermutation.Default.Seed(1).PerturbationsPerPass(2)).WithProgress(recorder).Attribute(x);
        Assert.Equal(ScalarType.Float32, a.Value.dtype);
        Assert.Equal(4, recorder.Reports[^1].Total); // 1 + 6 features in passes of 2
        Assert.Equal(4, recorder.Reports[^1].Completed);

        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            Explain(Mlp(ScalarType.Float32)).For(2).With(FeaturePermutation.Default).WithCancellation(cts.Token).Attribute(x));
    }
}
