using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Tests;

/// <summary>Targets computed by a function of the output, through every family of methods.</summary>
public class ScoreTargetTests
{
    private static readonly nn.Module<Tensor, Tensor> Model = TestModels.Mlp();

    public static TheoryData<string> Methods() => new() { "saliency", "ig", "noise", "ablation", "shapley", "gradshap", "layer-ig", "lrp-free-deeplift" };

    private static AttributionMethod Method(string name) => name switch
    {
        "saliency" => Saliency.Signed,
        "ig" => IntegratedGradients.Steps(16),
        "noise" => NoiseTunnel.SmoothGrad(IntegratedGradients.Steps(8)).Samples(3).StdDev(0.1).Seed(3),
        "ablation" => FeatureAblation.Default,
        "shapley" => ShapleyValueSampling.Samples(4).Seed(1),
        "gradshap" => GradientShap.Samples(6).Seed(2).BaselineDistribution(zeros(5, 4, dtype: ScalarType.Float64)),
        "lrp-free-deeplift" => DeepLift.Default,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static Attribution Run(Target target, string method, Tensor x)
    {
        if (method == "layer-ig")
            return Explain(Model).For(target).At("fc1").With(LayerIntegratedGradients.Steps(8)).Attribute(x);
        return Explain(Model).For(target).With(Method(method)).Attribute(x);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Score_of_one_column_equals_the_index_target(string method)
    {
        var x = TestModels.Batch(3);
        using var byIndex = Run(new long[] { 2, 0, 1 }, method, x);
        using var data = tensor(new long[] { 2, 0, 1 }).unsqueeze(1);
        using var byScore = Run(Target.Score((o, rows) => o.gather(1, rows).squeeze(1), data, "picked column"), method, x);
        using var perExample = Run(Target.PerExampleScores(o => o[2], o => o[0], o => o[1]), method, x);
        Assert.True(byIndex.Value.allclose(byScore.Value, rtol: 1e-9, atol: 1e-12), $"{method}: data score differs");
        Assert.True(byIndex.Value.allclose(perExample.Value, rtol: 1e-9, atol: 1e-12), $"{method}: per-example score differs");
        Assert.Equal("picked column", byScore.Target.ToString());
    }

    [Fact]
    public void A_linear_combination_of_outputs_is_the_same_combination_of_attributions()
    {
        var x = TestModels.Batch(4);
        using var a = Run(0, "ig", x);
        using var b = Run(2, "ig", x);
        using var diff = Run(Target.Score(o => o[.., 0] - 2 * o[.., 2], "logit 0 − 2·logit 2"), "ig", x);
        Assert.True(diff.Value.allclose(a.Value - 2 * b.Value, rtol: 1e-9, atol: 1e-12));
    }

    [Fact]
    public void Cosine_similarity_to_a_reference_per_example_follows_its_example()
    {
        var x = TestModels.Batch(3);
        using var references = TestModels.Batch(3, seed: 5)[.., ..3].contiguous();
        var target = Target.Score((o, r) => nn.functional.cosine_similarity(o, r, dim: 1), references, "cosine to reference");
        using var batched = Run(target, "ig", x);
        for (int i = 0; i < 3; i++)
        {
            using var alone = Run(Target.Score((o, r) => nn.functional.cosine_similarity(o, r, dim: 1), references[i..(i + 1)]), "ig", x[i..(i + 1)]);
            Assert.True(batched.Value[i..(i + 1)].allclose(alone.Value, rtol: 1e-9, atol: 1e-12), $"example {i}");
        }
    }

    [Fact]
    public void A_score_of_the_wrong_shape_is_a_typed_error_naming_the_target()
    {
        var e = Assert.Throws<ArgumentException>(() => Run(Target.Score(o => o.sum(), "total"), "saliency", TestModels.Batch(3)));
        Assert.Equal("target", e.ParamName);
        Assert.Contains("total", e.Message);
        Assert.Contains("one scalar per row", e.Message);
    }

    [Fact]
    public void A_detached_score_is_a_typed_error_for_gradient_methods()
    {
        var e = Assert.Throws<ArgumentException>(() => Run(Target.Score(o => o[.., 0].detach()), "saliency", TestModels.Batch(2)));
        Assert.Equal("target", e.ParamName);
        Assert.Contains("autograd", e.Message);
    }

    [Fact]
    public void Per_example_data_of_the_wrong_length_is_rejected_before_any_pass()
    {
        var target = Target.Score((o, r) => (o * r).sum(1), ones(2, 3, dtype: ScalarType.Float64));
        var e = Assert.Throws<ArgumentException>(() => Run(target, "ablation", TestModels.Batch(3)));
        Assert.Equal("target", e.ParamName);
        Assert.Contains("2", e.Message);
    }

    [Fact]
    public void Score_targets_compare_by_function_and_data()
    {
        Func<Tensor, Tensor> f = o => o[.., 0];
        Assert.Equal(Target.Score(f), Target.Score(f));
        Assert.NotEqual(Target.Score(f), Target.Score(o => o[.., 0]));
        Assert.NotEqual(Target.Score(f), Target.Index(0));
        Assert.True(Target.Score(f).IsScore);
        Assert.False(Target.Score(f).IsNone);
    }
}
