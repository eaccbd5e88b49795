using System.Diagnostics;
using FluentAttrib.Architectures;
using Xunit;
using Xunit.Abstractions;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Pretrained.Tests;

/// <summary>The MiniLM sentence encoder (embedding output) shared by the attribution tests.</summary>
public sealed class SentenceEncoderFixture : IDisposable
{
    public SentenceEncoderFixture()
    {
        Model = PretrainedMiniLM.Create(BertPooling.MeanNormalized);
        Tokenizer = PretrainedMiniLM.LoadTokenizer();
    }

    public ExplainableBert Model { get; }
    public SentenceTokenizer Tokenizer { get; }

    /// <summary>The sentence embedding of <paramref name="text"/>, (1, 384).</summary>
    public Tensor Embed(string text)
    {
        using var e = Tokenizer.Encode(text);
        using var _ = no_grad();
        return Model.call(e.Ids, e.Mask);
    }

    /// <summary>The cosine similarity of the embedding of <paramref name="ids"/> (one row) to <paramref name="reference"/>.</summary>
    public float Cosine(Tensor ids, Tensor mask, Tensor reference)
    {
        using var _ = no_grad();
        using var e = Model.call(ids, mask);
        return nn.functional.cosine_similarity(e, reference, dim: 1).item<float>();
    }

    /// <summary>Cosine of each row's embedding to <paramref name="reference"/> (1, 384): both are unit vectors.</summary>
    public static Target CosineTo(Tensor reference) =>
        Target.Score(o => nn.functional.cosine_similarity(o, reference.expand_as(o), dim: 1), "cosine similarity to the reference");

    public void Dispose() => Model.Dispose();
}

/// <summary>
/// Function targets on a real transformer: the cosine similarity of MiniLM's sentence embedding to a reference
/// sentence's, explained through LayerIntegratedGradients on the word embeddings and through perturbation methods,
/// each checked against forward passes computed here.
/// </summary>
public sealed class SentenceSimilarityTargetTests(SentenceEncoderFixture fixture, ITestOutputHelper output) : IClassFixture<SentenceEncoderFixture>
{
    private const string Query = "A man is playing a guitar.";
    private const string Match = "Someone plays an acoustic guitar on stage.";

    /// <summary>[CLS] and [SEP] kept, every other token [PAD]: the usual baseline for text.</summary>
    private static Tensor PadBaseline(Tensor ids)
    {
        var b = zeros_like(ids);
        b[.., 0] = ids[.., 0];
        b[.., -1] = ids[.., -1];
        return b;
    }

    [Fact]
    public void LayerIntegratedGradients_on_the_word_embeddings_completes_the_cosine_similarity()
    {
        using var scope = NewDisposeScope();
        var reference = fixture.Embed(Match);
        using var query = fixture.Tokenizer.Encode(Query);
        var baseline = PadBaseline(query.Ids);

        var clock = Stopwatch.StartNew();
        using var lig = Explain(fixture.Model).For(SentenceEncoderFixture.CosineTo(reference)).At(ExplainableBert.WordEmbeddingsPath)
            .With(LayerIntegratedGradients.Steps(50).Baseline(baseline).ReturnDelta())
            .WithAdditionalArguments(query.Mask)
            .Attribute(query.Ids);
        double seconds = clock.Elapsed.TotalSeconds;
        Assert.Equal([1L, query.Ids.shape[1], 384], lig.Value.shape);

        // Completeness against two forward passes computed here.
        float atInput = fixture.Cosine(query.Ids, query.Mask, reference), atBaseline = fixture.Cosine(baseline, query.Mask, reference);
        double total = lig.Value.sum().item<float>();
        double gap = atInput - atBaseline;
        output.WriteLine($"{query.Ids.shape[1]} tokens, 50 steps in {seconds:F2} s: Σ attributions {total:F4}, cos(x) − cos(baseline) = {atInput:F4} − {atBaseline:F4} = {gap:F4}, " +
                         $"reported delta {lig.Delta!.item<float>():E2}");
        Assert.True(Math.Abs(total - gap) < 0.02 * Math.Abs(gap) + 1e-3, $"Σ {total} vs gap {gap}");
        Assert.Equal(total - gap, -lig.Delta!.item<float>(), 3);
        Assert.True(gap > 0.2, "the query should be much closer to the match than the blank sentence is");

        // Per token: the guitar carries the similarity to a sentence about a guitar.
        var perToken = lig.Value.sum(2)[0].data<float>().ToArray();
        var tokens = query.Tokens[0];
        output.WriteLine(string.Join(" ", tokens.Select((t, i) => $"{t}:{perToken[i]:F3}")));
        int guitar = tokens.ToList().IndexOf("guitar");
        Assert.Equal(guitar, Array.IndexOf(perToken, perToken.Max()));
    }

    [Fact]
    public void FeatureAblation_of_each_token_equals_the_similarity_lost_when_it_is_replaced_by_PAD()
    {
        using var scope = NewDisposeScope();
        var reference = fixture.Embed(Match);
        using var query = fixture.Tokenizer.Encode(Query);
        using var ablation = Explain(fixture.Model).For(SentenceEncoderFixture.CosineTo(reference))
            .With(FeatureAblation.Default)            // each token its own feature, baseline 0 = [PAD]
            .WithAdditionalArguments(query.Mask)
            .Attribute(query.Ids);
        float full = fixture.Cosine(query.Ids, query.Mask, reference);
        long length = query.Ids.shape[1];
        for (long i = 0; i < length; i++)
        {
            var ablated = query.Ids.clone();
            ablated[0, i] = 0;
            float expected = full - fixture.Cosine(ablated, query.Mask, reference);
            Assert.Equal(expected, ablation.Value[0, i].item<float>(), 5);
        }
    }

    [Fact]
    public void ShapleyValueSampling_and_KernelShap_split_the_similarity_between_the_words()
    {
        using var scope = NewDisposeScope();
        var reference = fixture.Embed(Match);
        using var query = fixture.Tokenizer.Encode(Query);
        long length = query.Ids.shape[1];
        // One feature per word token; [CLS] and [SEP] stay (their own feature, never replaced: baseline = input).
        var baseline = PadBaseline(query.Ids);
        var explainer = Explain(fixture.Model).For(SentenceEncoderFixture.CosineTo(reference));
        using var shapley = explainer.With(ShapleyValueSampling.Samples(8).Baseline(baseline).Seed(1))
            .WithAdditionalArguments(query.Mask).Attribute(query.Ids);
        double gap = fixture.Cosine(query.Ids, query.Mask, reference) - fixture.Cosine(baseline, query.Mask, reference);
        double sum = shapley.Value.sum().item<float>();
        output.WriteLine($"Shapley sampling (8 permutations): Σ {sum:F4} = gap {gap:F4}");
        Assert.Equal(gap, sum, 4);                          // efficiency holds for every permutation
        Assert.Equal(0, shapley.Value[0, 0].item<float>(), 6); // [CLS] equals its baseline: no attribution

        using var kernel = explainer.With(KernelShap.Samples(200).Baseline(baseline).Seed(1))
            .WithAdditionalArguments(query.Mask).Attribute(query.Ids);
        var sv = shapley.Value[0].data<float>().ToArray();
        var ks = kernel.Value[0].data<float>().ToArray();
        output.WriteLine("Shapley: " + string.Join(" ", sv.Select(v => v.ToString("F3"))));
        output.WriteLine("KernelShap: " + string.Join(" ", ks.Select(v => v.ToString("F3"))));
        int guitar = query.Tokens[0].ToList().IndexOf("guitar");
        Assert.Equal(guitar, Array.IndexOf(sv, sv.Max()));
        Assert.Equal(guitar, Array.IndexOf(ks, ks.Max()));
        Assert.Equal(length, ks.Length);
    }

    [Fact]
    public void Per_example_references_follow_their_sentence_through_a_batch()
    {
        using var scope = NewDisposeScope();
        string[] sentences = [Query, "The stock market fell sharply today."];
        string[] references = [Match, "Shares dropped a lot on Monday."];
        using var batch = fixture.Tokenizer.Encode(sentences);
        using var refs = fixture.Tokenizer.Encode(references);
        Tensor refEmbeddings;
        using (no_grad()) refEmbeddings = fixture.Model.call(refs.Ids, refs.Mask);
        var target = Target.Score((o, r) => nn.functional.cosine_similarity(o, r, dim: 1), refEmbeddings, "cosine to own reference");
        using var together = Explain(fixture.Model).For(target).At(ExplainableBert.WordEmbeddingsPath)
            .With(LayerIntegratedGradients.Steps(16).Baseline(PadBaseline(batch.Ids)))
            .WithAdditionalArguments(batch.Mask).Attribute(batch.Ids);
        for (int i = 0; i < 2; i++)
        {
            using var one = fixture.Tokenizer.Encode(sentences[i]);
            var own = refEmbeddings[i..(i + 1)];
            using var alone = Explain(fixture.Model).For(SentenceEncoderFixture.CosineTo(own)).At(ExplainableBert.WordEmbeddingsPath)
                .With(LayerIntegratedGradients.Steps(16).Baseline(PadBaseline(one.Ids)))
                .WithAdditionalArguments(one.Mask).Attribute(one.Ids);
            long len = one.Ids.shape[1];
            double diff = (together.Value[i, ..(int)len] - alone.Value[0]).abs().max().item<float>();
            Assert.True(diff < 1e-4, $"sentence {i}: batched and alone differ by {diff:E2}");
        }
    }
}
