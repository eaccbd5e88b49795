using TorchSharp;
using TorchSharp.Modules;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Metrics;

/// <summary>Deletion and Insertion on token ids and on time series, on models whose curves can be worked out by hand.</summary>
public class DeletionInputKindsTests
{
    /// <summary>
    /// A bag of one-number embeddings: f(ids) = Σ_t e[ids_t], one output, float64. Token 0 is the pad token (e = 0),
    /// token v has e = <paramref name="values"/>[v].
    /// </summary>
    private sealed class Bag : nn.Module<Tensor, Tensor>
    {
        private readonly Embedding embedding;

        public Bag(params double[] values) : base(nameof(Bag))
        {
            embedding = nn.Embedding(values.Length, 1, dtype: ScalarType.Float64);
            using (no_grad()) embedding.weight!.copy_(tensor(values).reshape(values.Length, 1));
            RegisterComponents();
            eval();
        }

        public override Tensor forward(Tensor ids) => embedding.call(ids).sum([1L]);
    }

    private static readonly double[] Vocabulary = [0, 5, -1, 3, 0.5, 2, 7, -4];

    private static Tensor Ids(params long[][] rows) => tensor(rows.SelectMany(r => r).ToArray()).reshape(rows.Length, rows[0].Length);

    /// <summary>The exact effect of replacing each token by <paramref name="pad"/>: e[id] − e[pad].</summary>
    private static Tensor Exact(Tensor ids, long pad) =>
        (tensor(Vocabulary).index_select(0, ids.reshape(-1)).reshape(ids.shape) - Vocabulary[pad]);

    private static Tensor Permuted(Tensor a, Generator g) => a.index_select(1, randperm(a.shape[1], generator: g));

    [Fact]
    public void Deletion_of_token_ids_replaces_them_by_the_pad_id_and_ranks_the_exact_attribution_best()
    {
        using var model = new Bag(Vocabulary);
        var ids = Ids([1, 3, 2, 6, 4, 5], [7, 6, 1, 1, 3, 2]);
        var explain = Explain(model).For(Target.None);
        var deletion = Deletion.Default.Softmax(false).Substrate(Substrate.Token(0));
        var exact = Exact(ids, 0);

        // Row 0: e = 5, 3, −1, 7, 0.5, 2 (sum 16.5); removing 7, 5, 3, 2, 0.5, −1 in turn leaves 9.5, 4.5, 1.5, −0.5, −1, 0.
        var curve = explain.Evaluate(deletion.ReturnAuc(false), ids, exact);
        Assert.Equal([2L, 7L], curve.shape);
        Assert.Equal([16.5, 9.5, 4.5, 1.5, -0.5, -1, 0], curve[0].data<double>().ToArray());
        var best = explain.Evaluate(deletion, ids, exact);
        using var g = new Generator(5);
        for (int trial = 0; trial < 10; trial++)
            Assert.True((best <= explain.Evaluate(deletion, ids, Permuted(exact, g)) + 1e-12).all().item<bool>());

        // Another pad id: every removal becomes e[id] − e[pad]; the curve ends at 6·e[pad].
        var withMask = explain.Evaluate(deletion.Substrate(Substrate.Token(4)).ReturnAuc(false), ids, Exact(ids, 4));
        Assert.Equal(6 * 0.5, withMask[0, -1].item<double>(), 12);

        // The embedding layer's attribution (B, L, E) counts as one value per token (summed over E).
        Assert.True(allclose(best, explain.Evaluate(deletion, ids, exact.unsqueeze(-1).expand(2, 6, 3) / 3)));
    }

    [Fact]
    public void Insertion_of_token_ids_starts_from_the_pad_ids_and_a_tensor_of_ids_keeps_special_tokens()
    {
        using var model = new Bag(Vocabulary);
        var ids = Ids([1, 3, 2, 6, 4, 5]);
        var explain = Explain(model).For(Target.None);
        var insertion = Insertion.Default.Softmax(false).Substrate(Substrate.Token(0)).FeaturesPerStep(2);
        // Put back (7, 5), then (3, 2), then (0.5, −1): 0, 12, 17, 16.5.
        Assert.Equal([0, 12, 17, 16.5], explain.Evaluate(insertion.ReturnAuc(false), ids, Exact(ids, 0))[0].data<double>().ToArray());

        // A substrate of ids that keeps the first and last tokens (as [CLS] and [SEP]): only the middle ones change.
        var keep = zeros_like(ids);
        keep[.., 0] = ids[.., 0];
        keep[.., -1] = ids[.., -1];
        var deletion = Deletion.Default.Softmax(false).Substrate(Substrate.Of(keep)).ReturnAuc(false);
        var curve = explain.Evaluate(deletion, ids, Exact(ids, 0));
        Assert.Equal(5 + 2, curve[0, -1].item<double>(), 12);
    }

    [Fact]
    public void A_substrate_that_does_not_fit_token_ids_is_refused_naming_the_substrate()
    {
        using var model = new Bag(Vocabulary);
        var ids = Ids([1, 3, 2, 6]);
        var a = Exact(ids, 0);
        var explain = Explain(model).For(Target.None);
        // A number, a float tensor, a blur (Insertion's default): not token ids.
        var e1 = Assert.Throws<ArgumentException>(() => explain.Evaluate(Deletion.Default.Softmax(false), ids, a));
        Assert.Equal("substrate", e1.ParamName);
        Assert.Contains("Substrate.Token", e1.Message);
        Assert.Equal("substrate", Assert.Throws<ArgumentException>(() => explain.Evaluate(Deletion.Default.Substrate(Substrate.Of(zeros(1, 4))), ids, a)).ParamName);
        Assert.Equal("substrate", Assert.Throws<ArgumentException>(() => explain.Evaluate(Insertion.Default, ids, a)).ParamName);
        // An id outside the embedding's 8 entries.
        var e2 = Assert.Throws<ArgumentOutOfRangeException>(() => explain.Evaluate(Deletion.Default.Substrate(Substrate.Token(8)), ids, a));
        Assert.Equal("substrate", e2.ParamName);
        Assert.Contains("0 to 7", e2.Message);
        Assert.Equal("substrate", Assert.Throws<ArgumentOutOfRangeException>(() =>
            explain.Evaluate(Deletion.Default.Substrate(Substrate.Of(full(1, 4, 9L, dtype: ScalarType.Int64))), ids, a)).ParamName);
        Assert.Equal("id", Assert.Throws<ArgumentOutOfRangeException>(() => Substrate.Token(-1)).ParamName);
        // A token substrate on floating-point inputs, and on a metric that perturbs floating-point values.
        var linear = nn.Linear(4, 1);
        linear.eval();
        var x = rand(2, 4);
        Assert.Equal("substrate", Assert.Throws<ArgumentException>(() => Explain(linear).For(Target.None).Evaluate(Deletion.Default.Substrate(Substrate.Token(0)), x, x)).ParamName);
        Assert.Equal("substrate", Assert.Throws<ArgumentException>(() => Explain(linear).For(Target.None).Evaluate(PixelFlipping.Default.Substrate(Substrate.Token(0)), x, x)).ParamName);
        // Other metrics still refuse token ids as before.
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => explain.Evaluate(PixelFlipping.Default, ids, a)).ParamName);
        // Ids outside the vocabulary in the input itself.
        Assert.Equal("inputs", Assert.Throws<ArgumentOutOfRangeException>(() => explain.Evaluate(Deletion.Default.Substrate(Substrate.Token(0)), Ids([1, 30, 2, 6]), a)).ParamName);
        Assert.Equal("Token(3)", Substrate.Token(3).ToString());
        Assert.Equal(Substrate.Token(3), Substrate.Token(3));
        Assert.NotEqual(Substrate.Token(3), Substrate.Constant(3));
    }

    [Fact]
    public void Deletion_on_time_series_removes_elements_and_blurs_along_time_only()
    {
        // f = w·x over a (2 channels × 8 steps) series: the exact contributions give the best deletion.
        manual_seed(8);
        var linear = nn.Linear(16, 1, hasBias: false);
        var model = nn.Sequential(nn.Flatten(), linear);
        model.to(ScalarType.Float64).eval();
        var w = linear.weight!.detach().reshape(1, 2, 8);
        var x = randn(3, 2, 8, dtype: ScalarType.Float64);
        var explain = Explain(model).For(Target.None);
        var deletion = Deletion.FeaturesPerStep(4).Softmax(false);
        var exact = x * w;
        var curve = explain.Evaluate(deletion.ReturnAuc(false), x, exact);
        Assert.Equal([3L, 5L], curve.shape); // 16 elements, 4 per step
        Assert.True(allclose(curve[.., 0], model.call(x).reshape(-1)));
        Assert.True(allclose(curve[.., -1], zeros(3, dtype: ScalarType.Float64)));
        var best = explain.Evaluate(deletion, x, exact);
        using var g = new Generator(2);
        for (int trial = 0; trial < 10; trial++)
        {
            var shuffled = exact.reshape(3, 16).index_select(1, randperm(16, generator: g)).reshape(3, 2, 8);
            Assert.True((best <= explain.Evaluate(deletion, x, shuffled) + 1e-12).all().item<bool>());
        }

        // Two constant channels: blurring along time leaves each unchanged, so insertion starts at f(x) already
        // (a blur across the channel axis would mix 1 and 5).
        var flat = cat([ones(1, 1, 8, dtype: ScalarType.Float64), ones(1, 1, 8, dtype: ScalarType.Float64) * 5], 1);
        var insertion = Insertion.FeaturesPerStep(8).Softmax(false).Substrate(Substrate.Blur(1)).ReturnAuc(false);
        var start = explain.Evaluate(insertion, flat, flat)[0, 0].item<double>();
        Assert.Equal(model.call(flat).item<double>(), start, 10);
    }
}
