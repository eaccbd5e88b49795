using System.Diagnostics;
using FluentAttrib.Architectures;
using Xunit;
using Xunit.Abstractions;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Pretrained.Tests.Metrics;

/// <summary>
/// Deletion and Insertion of tokens on the real MiniLM sentence encoder: the cosine similarity of a query to a matching
/// sentence as the target, LayerIntegratedGradients on the word embeddings as the attribution, tokens replaced by
/// [PAD] (with [CLS] and [SEP] kept through a substrate of ids).
/// </summary>
public sealed class TokenDeletionTests(SentenceEncoderFixture fixture, ITestOutputHelper output) : IClassFixture<SentenceEncoderFixture>
{
    private const string Query = "A man is playing a guitar.";
    private const string Match = "Someone plays an acoustic guitar on stage.";

    [Fact]
    public void Deletion_and_insertion_of_tokens_rank_the_embedding_attribution_above_its_reversal()
    {
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        var reference = fixture.Embed(Match);
        using var query = fixture.Tokenizer.Encode(Query);
        var target = SentenceEncoderFixture.CosineTo(reference);
        var pad = zeros_like(query.Ids);                 // [PAD] everywhere but [CLS] and [SEP]
        pad[.., 0] = query.Ids[.., 0];
        pad[.., -1] = query.Ids[.., -1];

        using var lig = Explain(fixture.Model).For(target).At(ExplainableBert.WordEmbeddingsPath)
            .With(LayerIntegratedGradients.Steps(16).Baseline(pad))
            .WithAdditionalArguments(query.Mask)
            .Attribute(query.Ids);
        long length = query.Ids.shape[1];
        Assert.Equal([1L, length, 384], lig.Value.shape);

        // Two rows of the same sentence: the attribution (B, L, E) and its reversal. The run's method is not used.
        var ids = query.Ids.expand(2, -1).contiguous();
        var mask = query.Mask.expand(2, -1).contiguous();
        var a = cat([lig.Value, -lig.Value], 0);
        var run = Explain(fixture.Model).For(target).With(FeatureAblation.Default).WithAdditionalArguments(mask);
        var deletion = Deletion.Default.Softmax(false).Substrate(Substrate.Of(pad));
        var curves = run.Evaluate(deletion.ReturnAuc(false), ids, a);
        Assert.Equal([2L, length + 1], curves.shape);
        // The curve runs from the sentence to [CLS] [PAD] … [SEP], both computed here.
        float full = fixture.Cosine(query.Ids, query.Mask, reference), blank = fixture.Cosine(pad, query.Mask, reference);
        Assert.Equal(full, curves[0, 0].item<double>(), 4);
        Assert.Equal(blank, curves[0, -1].item<double>(), 4);
        Assert.Equal(blank, curves[1, -1].item<double>(), 4);

        var deleted = run.Evaluate(deletion, ids, a).data<double>().ToArray();
        var inserted = run.Evaluate(Insertion.Default.Softmax(false).Substrate(Substrate.Of(pad)), ids, a).data<double>().ToArray();
        output.WriteLine($"{length} tokens: cos {full:F3} → {blank:F3}; deletion AUC {deleted[0]:F3} (reversed {deleted[1]:F3}), " +
                         $"insertion AUC {inserted[0]:F3} (reversed {inserted[1]:F3}) in {clock.Elapsed.TotalSeconds:F2} s");
        Assert.True(deleted[0] < deleted[1], "removing the tokens LayerIntegratedGradients ranks first should lose the similarity faster");
        Assert.True(inserted[0] > inserted[1], "putting them back first should regain it faster");

        // [PAD] as a token id (the substrate [CLS] and [SEP] included): the curve ends at a sentence of [PAD] only.
        var allPad = run.Evaluate(Deletion.Default.Softmax(false).Substrate(Substrate.Token(0)).ReturnAuc(false), ids, a);
        Assert.Equal(fixture.Cosine(zeros_like(query.Ids), query.Mask, reference), allPad[0, -1].item<double>(), 4);

        // An id outside MiniLM's vocabulary, and a number instead of an id.
        long vocabulary = fixture.Model.named_modules().Select(m => m.module).OfType<TorchSharp.Modules.Embedding>().Max(e => e.weight!.shape[0]);
        Assert.Equal("substrate", Assert.Throws<ArgumentOutOfRangeException>(() => run.Evaluate(deletion.Substrate(Substrate.Token(vocabulary)), ids, a)).ParamName);
        Assert.Equal("substrate", Assert.Throws<ArgumentException>(() => run.Evaluate(deletion.Substrate(0.0), ids, a)).ParamName);
    }
}
