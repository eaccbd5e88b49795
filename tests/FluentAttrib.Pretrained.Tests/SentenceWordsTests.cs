using FluentAttrib.Architectures;
using Xunit;
using Xunit.Abstractions;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Pretrained.Tests;

/// <summary>
/// Word-level inputs on MiniLM: WordPieces merged into words, [CLS]/[SEP] never features, absent words replaced by
/// [MASK]; every perturbation method and LayerIntegratedGradients reported per word, checked against forward passes.
/// </summary>
public sealed class SentenceWordsTests(SentenceEncoderFixture fixture, ITestOutputHelper output) : IClassFixture<SentenceEncoderFixture>
{
    private const string Query = "The guitarist strums an acoustic guitar.";
    private const string Match = "Someone plays an acoustic guitar on stage.";

    private int MultiPieceWord(SentenceWords words)
    {
        int w = Enumerable.Range(0, words.WordCount).First(i => words.PiecesOf(i).Count > 1);
        output.WriteLine($"\"{words.Words[w]}\" = {string.Join(" ", fixture.Tokenizer.TokensOf(words.PiecesOf(w).Select(p => (int)words.Tokens.TokenIds[p])))}");
        return w;
    }

    [Fact]
    public void Word_pieces_are_merged_into_words_and_special_tokens_are_no_feature()
    {
        using var scope = NewDisposeScope();
        var words = fixture.Tokenizer.Words(Query, "[MASK]");
        Assert.Equal(["the", "guitarist", "strums", "an", "acoustic", "guitar", "."], words.Words);
        Assert.True(words.Tokens.TokenIds.Count > words.WordCount + 2, "some word should be split into pieces");
        MultiPieceWord(words);
        var ids = words.InputIds();
        using var encoded = fixture.Tokenizer.Encode(Query);
        Assert.Equal(encoded.Ids.data<long>().ToArray(), ids.data<long>().ToArray());
        var baseline = words.Baseline();
        long mask = fixture.Tokenizer.Tokenizer.MaskingTokenId;
        Assert.Equal(fixture.Tokenizer.Tokenizer.ClassificationTokenId, baseline[0, 0].item<long>());
        Assert.Equal(fixture.Tokenizer.Tokenizer.SeparatorTokenId, baseline[0, -1].item<long>());
        Assert.True((baseline[0, 1..^1] == mask).all().item<bool>());
        var groups = words.FeatureMask()[0].data<long>().ToArray();
        Assert.Equal(words.WordCount, groups[0]);
        Assert.Equal(words.WordCount, groups[^1]);
        Assert.Equal(Enumerable.Range(0, words.WordCount).Select(i => (long)i), groups[1..^1].Distinct());
        Assert.Throws<ArgumentException>(() => words.ReadPerWord(zeros(1, 3)));
    }

    [Fact]
    public void FeatureAblation_per_word_equals_the_similarity_lost_when_its_pieces_become_MASK()
    {
        using var scope = NewDisposeScope();
        var reference = fixture.Embed(Match);
        var words = fixture.Tokenizer.Words(Query, "[MASK]");
        var ids = words.InputIds();
        var mask = words.AttentionMask();
        using var ablation = Explain(fixture.Model).For(SentenceEncoderFixture.CosineTo(reference))
            .With(FeatureAblation.Default.Baseline(words.Baseline()).Mask(words.FeatureMask()))
            .WithAdditionalArguments(mask)
            .Attribute(ids);
        var perWord = words.ReadPerWord(ablation.Value);
        Assert.Equal([1L, words.WordCount], perWord.shape);
        Assert.Equal(0, ablation.Value[0, 0].item<float>());   // [CLS] and [SEP]: no attribution
        Assert.Equal(0, ablation.Value[0, -1].item<float>());
        float full = fixture.Cosine(ids, mask, reference);
        for (int w = 0; w < words.WordCount; w++)
        {
            var present = Enumerable.Range(0, words.WordCount).Select(i => i != w).ToArray();
            float expected = full - fixture.Cosine(words.InputIds(present), mask, reference);
            output.WriteLine($"{words.Words[w]}: {perWord[0, w].item<float>():F4} (forward passes: {expected:F4})");
            Assert.True(Math.Abs(expected - perWord[0, w].item<float>()) < 1e-5, $"{words.Words[w]}: {perWord[0, w].item<float>()} vs {expected}");
        }
        // A multi-piece word is one feature: masking only one of its pieces is a different (unreported) perturbation.
        int split = MultiPieceWord(words);
        Assert.True(words.PiecesOf(split).Select(p => ablation.Value[0, p].item<float>()).Distinct().Count() == 1);
    }

    [Fact]
    public void ShapleyValueSampling_KernelShap_and_Lime_attribute_to_words()
    {
        using var scope = NewDisposeScope();
        var reference = fixture.Embed(Match);
        var words = fixture.Tokenizer.Words(Query, "[MASK]");
        var ids = words.InputIds();
        var mask = words.AttentionMask();
        var baseline = words.Baseline();
        var explainer = Explain(fixture.Model).For(SentenceEncoderFixture.CosineTo(reference));
        using var shapley = explainer.With(ShapleyValueSampling.Samples(4).Baseline(baseline).Mask(words.FeatureMask()).Seed(1))
            .WithAdditionalArguments(mask).Attribute(ids);
        var sv = words.ReadPerWord(shapley.Value);
        double gap = fixture.Cosine(ids, mask, reference) - fixture.Cosine(baseline, mask, reference);
        output.WriteLine($"Shapley per word: {string.Join(" ", words.Words.Select((t, i) => $"{t}:{sv[0, i].item<float>():F3}"))}; Σ {sv.sum().item<float>():F4}, gap {gap:F4}");
        Assert.Equal(gap, sv.sum().item<float>(), 4);       // efficiency: the words share the whole gap
        int top = (int)sv[0].argmax().item<long>();
        Assert.Equal("guitar", words.Words[top]);

        using var kernel = explainer.With(KernelShap.Samples(100).Baseline(baseline).Mask(words.FeatureMask()).Seed(1))
            .WithAdditionalArguments(mask).Attribute(ids);
        var ks = words.ReadPerWord(kernel.Value);
        output.WriteLine($"KernelShap per word: {string.Join(" ", ks[0].data<float>().ToArray().Select(v => v.ToString("F3")))}");
        var ksTop2 = ks[0].argsort(descending: true)[..2].data<long>().ToArray();
        Assert.Contains((long)top, ksTop2);                 // 100 samples: the guitar among KernelShap's two first words

        using var lime = explainer.With(Lime.Samples(100).Baseline(baseline).Mask(words.FeatureMask()).Seed(1))
            .WithAdditionalArguments(mask).Attribute(ids);
        var lm = words.ReadPerWord(lime.Value);
        output.WriteLine($"Lime per word: {string.Join(" ", lm[0].data<float>().ToArray().Select(v => v.ToString("F3")))}");
        Assert.Equal([1L, words.WordCount], lm.shape);
        Assert.True(lm.isfinite().all().item<bool>());
        Assert.True(lm[0, top].item<float>() > 0, "Lime should see the guitar raise the similarity");
    }

    [Fact]
    public void LayerIntegratedGradients_summed_per_word_completes_the_similarity()
    {
        using var scope = NewDisposeScope();
        var reference = fixture.Embed(Match);
        var words = fixture.Tokenizer.Words(Query, "[PAD]");
        var ids = words.InputIds();
        var mask = words.AttentionMask();
        var baseline = words.Baseline();
        using var lig = Explain(fixture.Model).For(SentenceEncoderFixture.CosineTo(reference)).At(ExplainableBert.WordEmbeddingsPath)
            .With(LayerIntegratedGradients.Steps(32).Baseline(baseline))
            .WithAdditionalArguments(mask)
            .Attribute(ids);
        var perWord = words.SumPerWord(lig.Value);
        Assert.Equal([1L, words.WordCount], perWord.shape);
        double gap = fixture.Cosine(ids, mask, reference) - fixture.Cosine(baseline, mask, reference);
        double total = perWord.sum().item<float>();
        output.WriteLine($"LIG per word: {string.Join(" ", words.Words.Select((t, i) => $"{t}:{perWord[0, i].item<float>():F3}"))}; Σ {total:F4}, gap {gap:F4}");
        Assert.True(Math.Abs(total - gap) < 0.02 * Math.Abs(gap) + 1e-3, $"Σ {total} vs gap {gap}");
        int split = MultiPieceWord(words);
        double pieces = words.PiecesOf(split).Sum(p => lig.Value[0, p].sum().item<float>());
        Assert.Equal(pieces, perWord[0, split].item<float>(), 5);
        Assert.Throws<ArgumentException>(() => words.ReadPerWord(lig.Value));
    }
}
