using FluentAttrib.Text;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Text;

public class LanguageModelAttributionTests
{
    // Vocabulary: 0 <unk>, 1 <s>, 2 </s>, then words.
    private static readonly WordTokenizer Words = new(
        ["<unk>", "<s>", "</s>", "the", "dog", "cat", "saw", "a", "ball", "in", "park", "barks", "meows", "loudly", "and", "runs", "sits", "red", "big", "old"],
        unknownToken: "<unk>", beginToken: "<s>", endToken: "</s>");

    private const string Prompt = "the big dog saw a red ball in the park";

    public static TheoryData<string> Methods() => ["FeatureAblation", "ShapleyValueSampling", "KernelShap", "Lime", "LayerIntegratedGradients", "LayerGradientXActivation"];

    [Theory]
    [MemberData(nameof(Methods))]
    public void One_word_that_alone_sets_the_continuation_gets_the_attribution(string method)
    {
        using var scope = NewDisposeScope();
        // "dog" (id 4) makes "barks loudly" likely; no other word matters.
        var model = new KeyWordModel(Words.Vocabulary.Count, key: 4, answers: [11, 13]);
        model.eval();
        var input = new TextTokenInput(Prompt, Words, baseline: "<unk>", skipTokens: ["<s>"]);
        var explainer = Fluent.ExplainLanguageModel(model, Words).For(TextTarget.Continuation("barks loudly", "<s>"));
        using var result = method switch
        {
            "FeatureAblation" => explainer.With(FeatureAblation.Default).Attribute(input),
            "ShapleyValueSampling" => explainer.With(ShapleyValueSampling.Samples(5).Seed(3)).Attribute(input),
            "KernelShap" => explainer.With(KernelShap.Samples(200).Seed(3)).Attribute(input),
            "Lime" => explainer.With(Lime.Samples(200).Seed(3)).Attribute(input),
            "LayerIntegratedGradients" => explainer.AtEmbeddings().With(LayerIntegratedGradients.Steps(20)).Attribute(input),
            _ => explainer.At("tok_emb").With(LayerGradientXActivation.Default).Attribute(input),
        };
        Assert.Equal(Prompt.Split(' '), result.InputTokens);
        Assert.Equal(["barks", "loudly"], result.OutputTokens);
        var seq = result.SequenceAttribution.to(ScalarType.Float64).data<double>().ToArray();
        int dog = Array.IndexOf(Prompt.Split(' '), "dog");
        double total = seq.Sum(Math.Abs);
        Assert.True(seq[dog] > 0, $"{method}: the key word's attribution is {seq[dog]}");
        Assert.True(Math.Abs(seq[dog]) >= 0.99 * total, $"{method}: the key word has {Math.Abs(seq[dog]) / total:P1} of the attribution: [{string.Join(", ", seq)}]");
        if (result.TokenAttribution is { } rows)
        {
            Assert.Equal([2L, 10L], rows.shape);
            foreach (var row in new[] { rows[0], rows[1] })
            {
                var r = row.to(ScalarType.Float64).data<double>().ToArray();
                Assert.True(Math.Abs(r[dog]) >= 0.99 * r.Sum(Math.Abs));
            }
        }
    }

    private static TextTarget Target => TextTarget.Continuation("dog barks", "<s>");

    private static nn.Module<Tensor, Tensor> Gpt2(long seed)
    {
        manual_seed(seed);
        var model = new Gpt2Layout(Words.Vocabulary.Count, 16, layers: 2, heads: 2, positions: 32);
        model.eval();
        return model;
    }

    private static nn.Module<Tensor, Tensor> Llama(long seed)
    {
        manual_seed(seed);
        var model = new LlamaLayout(Words.Vocabulary.Count, 16, layerCount: 2, heads: 2);
        model.eval();
        return model;
    }

    /// <summary>Log-probabilities of each target token computed directly, one growing prefix at a time.</summary>
    private static double[] LogProbs(nn.Module<Tensor, Tensor> model, long[] prompt, long[] target, long[]? foil = null)
    {
        using var _ = no_grad();
        var result = new double[target.Length];
        var ids = prompt.ToList();
        for (int k = 0; k < target.Length; k++)
        {
            using var x = tensor(ids.ToArray(), [1, ids.Count]);
            using var lp = model.call(x)[0, -1].log_softmax(0).to(ScalarType.Float64);
            result[k] = lp[target[k]].item<double>() - (foil is null ? 0 : lp[foil[k]].item<double>());
            ids.Add(target[k]);
        }
        return result;
    }

    [Fact]
    public void Feature_ablation_on_a_gpt2_layout_matches_direct_ablation_and_rows_add_up()
    {
        using var scope = NewDisposeScope();
        var model = Gpt2(1);
        var input = new TextTokenInput("the cat saw a", Words, baseline: "<unk>", skipTokens: ["<s>"]);
        using var result = Fluent.ExplainLanguageModel(model, Words).For(Target).With(FeatureAblation.Default).Attribute(input);
        long[] target = [4, 11];
        Assert.Equal(target, result.TargetTokenIds);
        var full = LogProbs(model, [1, 3, 5, 6, 7], target);
        var rows = result.TokenAttribution!.to(ScalarType.Float64);
        for (int f = 0; f < 4; f++)
        {
            long[] ablated = [1, 3, 5, 6, 7];
            ablated[f + 1] = 0;
            var lp = LogProbs(model, ablated, target);
            for (int k = 0; k < 2; k++)
                Assert.Equal(full[k] - lp[k], rows[k, f].item<double>(), 1e-4); // float32 model: one teacher-forced forward vs a forward per prefix
        }
        // log_prob is additive: the sequence row is the sum of the token rows.
        var sum = rows.sum(dim: 0);
        Assert.True(sum.allclose(result.SequenceAttribution.to(ScalarType.Float64), rtol: 1e-5, atol: 1e-6));
        // Inseq's step scores on the unperturbed prompt.
        Assert.Equal(Math.Exp(full[0]), result.Probabilities[0].item<double>(), 6);
        Assert.Equal(Math.Exp(full[1]), result.Probabilities[1].item<double>(), 6);
    }

    [Fact]
    public void Integrated_gradients_on_a_llama_layout_are_complete_per_target_token()
    {
        using var scope = NewDisposeScope();
        var model = Llama(2);
        // BOS is a feature here, so every prompt position moves from its baseline and completeness covers the prompt.
        var input = new TextTokenInput("the cat saw a", Words, baseline: "<unk>");
        var explainer = Fluent.ExplainLanguageModel(model, Words).For(TextTarget.Tokens([4, 11]));
        using var result = explainer.AtEmbeddings().With(LayerIntegratedGradients.Steps(64)).Attribute(input);
        Assert.Equal("embed_tokens", explainer.AtEmbeddings().Layer.Path);
        Assert.Equal(ScalarType.Float32, result.SequenceAttribution.dtype); // the model's dtype
        var atInput = LogProbs(model, [1, 3, 5, 6, 7], [4, 11]);
        var atBaseline = LogProbs(model, [0, 0, 0, 0, 0], [4, 11]);
        for (int k = 0; k < 2; k++)
        {
            double sum = result.TokenAttribution![k].sum().item<float>();
            double expected = atInput[k] - atBaseline[k];
            Assert.True(Math.Abs(sum - expected) <= 0.02 * Math.Abs(expected) + 1e-3, $"token {k}: attributions sum to {sum}, f(x) − f(baseline) = {expected}");
        }
    }

    [Fact]
    public void Gpt2_embeddings_are_the_token_table_not_the_position_table()
    {
        using var scope = NewDisposeScope();
        var explainer = Fluent.ExplainLanguageModel(Gpt2(3), Words).For(Target);
        Assert.Equal("wte", explainer.AtEmbeddings().Layer.Path);
        var input = new TextTokenInput("the cat", Words, skipTokens: [1]);
        using var result = explainer.AtEmbeddings().With(LayerGradientXActivation.Default).Attribute(input);
        Assert.Equal([2L, 2L], result.TokenAttribution!.shape);
    }

    [Fact]
    public void Greedy_generation_stops_after_the_end_token_and_keeps_it()
    {
        using var scope = NewDisposeScope();
        // Every position predicts </s> when "dog" is in the prefix.
        var model = new KeyWordModel(Words.Vocabulary.Count, key: 4, answers: [2]);
        model.eval();
        var input = new TextTokenInput("the dog", Words, skipTokens: ["<s>"]);
        using var result = Fluent.ExplainLanguageModel(model, Words).For(TextTarget.Generation(10)).With(FeatureAblation.Default).Attribute(input);
        Assert.Equal([2L], result.TargetTokenIds);
        Assert.Equal(["</s>"], result.OutputTokens);
        // Without the key word the model's logits are all 0: generation runs to the limit with token 0.
        var plain = new TextTokenInput("the cat", Words, skipTokens: ["<s>"]);
        using var unlimited = Fluent.ExplainLanguageModel(model, Words).For(TextTarget.Generation(3)).With(FeatureAblation.Default).Attribute(plain);
        Assert.Equal([0L, 0L, 0L], unlimited.TargetTokenIds);
    }

    [Fact]
    public void Contrastive_score_is_the_difference_of_the_two_log_probability_attributions()
    {
        using var scope = NewDisposeScope();
        var model = Gpt2(4);
        var input = new TextTemplateInput("the {} saw a {}", ["dog", "ball"], Words);
        var explainer = Fluent.ExplainLanguageModel(model, Words);
        using var target = explainer.For(TextTarget.Tokens([11])).With(FeatureAblation.Default).Attribute(input);
        using var foil = explainer.For(TextTarget.Tokens([12])).With(FeatureAblation.Default).Attribute(input);
        using var contrast = explainer.For(TextTarget.Tokens([11])).Score(TokenScore.Contrastive(TextTarget.Tokens([12]))).With(FeatureAblation.Default).Attribute(input);
        Assert.True((target.SequenceAttribution - foil.SequenceAttribution).allclose(contrast.SequenceAttribution, rtol: 1e-4, atol: 1e-5));
        Assert.Equal(["dog", "ball"], contrast.InputTokens);
        Assert.Throws<ArgumentException>("score", () =>
            explainer.For(TextTarget.Tokens([11])).Score(TokenScore.Contrastive(TextTarget.Tokens([12, 13]))).With(FeatureAblation.Default).Attribute(input));
    }

    [Fact]
    public void Probability_and_entropy_scores()
    {
        using var scope = NewDisposeScope();
        var model = Gpt2(5);
        var input = new TextTokenInput("the cat saw", Words, skipTokens: ["<s>"], baseline: "<unk>");
        var explainer = Fluent.ExplainLanguageModel(model, Words).For(Target);
        using var prob = explainer.Score(TokenScore.Probability).With(FeatureAblation.Default).Attribute(input);
        var full = LogProbs(model, [1, 3, 5, 6], [4, 11]);
        var ablated = LogProbs(model, [1, 0, 5, 6], [4, 11]);
        // The sequence score is the product of the token probabilities.
        Assert.Equal(Math.Exp(full.Sum()) - Math.Exp(ablated.Sum()), prob.SequenceAttribution[0].item<float>(), 5);
        Assert.Equal(Math.Exp(full[1]) - Math.Exp(ablated[1]), prob.TokenAttribution![1, 0].item<float>(), 5);

        using var entropy = explainer.Score(TokenScore.Entropy).With(FeatureAblation.Default).Attribute(input);
        Assert.True(entropy.TokenAttribution!.sum(dim: 0).allclose(entropy.SequenceAttribution, rtol: 1e-4, atol: 1e-5));
        // Step entropies: −Σ p log p of the next-token distribution at each target step, in nats.
        using (no_grad())
        {
            using var lp = model.call(tensor(new long[] { 1, 3, 5, 6, 4 }, [1, 5]))[0, 3].log_softmax(0).to(ScalarType.Float64);
            double h = -(lp.exp() * lp).sum().item<double>();
            Assert.Equal(h, prob.Entropies[0].item<double>(), 6);
            Assert.True(h > 0 && h <= Math.Log(Words.Vocabulary.Count) + 1e-9);
        }
    }

    [Fact]
    public void Small_memory_budgets_batch_the_perturbations_without_changing_the_result()
    {
        using var scope = NewDisposeScope();
        var model = Gpt2(6);
        var input = TextTemplateInput.FromWords("the big cat saw a red ball", Words);
        var run = Fluent.ExplainLanguageModel(model, Words).For(Target).With(ShapleyValueSampling.Samples(3).Seed(1));
        using var large = run.Attribute(input);
        using var tiny = run.WithMemoryBudget(1).Attribute(input);
        Assert.True(large.TokenAttribution!.allclose(tiny.TokenAttribution!, rtol: 1e-5, atol: 1e-6));
        Assert.True(large.SequenceAttribution.allclose(tiny.SequenceAttribution, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void Progress_is_reported_over_all_target_rows_and_cancellation_stops_the_run()
    {
        using var scope = NewDisposeScope();
        var model = Gpt2(7);
        var input = new TextTokenInput("the cat saw a", Words, skipTokens: ["<s>"]);
        var reports = new List<AttributionProgress>();
        var run = Fluent.ExplainLanguageModel(model, Words).For(Target).With(FeatureAblation.Default);
        using (run.WithProgress(new SyncProgress(reports.Add)).Attribute(input)) { }
        Assert.NotEmpty(reports);
        Assert.All(reports, r => Assert.Equal(reports[0].Total, r.Total));
        Assert.Equal(reports[0].Total, reports[^1].Completed);
        Assert.True(reports.Select(r => r.Completed).SequenceEqual(reports.Select(r => r.Completed).Order()));

        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => run.WithCancellation(cts.Token).Attribute(input));
        var generating = Fluent.ExplainLanguageModel(model, Words).For(TextTarget.Generation(5)).At("wte").With(LayerIntegratedGradients.Default);
        Assert.ThrowsAny<OperationCanceledException>(() => generating.WithCancellation(cts.Token).Attribute(input));
    }

    [Fact]
    public void Errors_name_the_argument()
    {
        using var scope = NewDisposeScope();
        var model = Gpt2(8);
        var explainer = Fluent.ExplainLanguageModel(model, Words);
        var template = new TextTemplateInput("{} saw", ["the cat"], Words);
        Assert.Throws<ArgumentException>("method", () => explainer.For(Target).With(Saliency.Default));
        Assert.Throws<ArgumentException>("method", () => explainer.For(Target).At("wte").With(LayerGradCam.Default));
        Assert.Throws<ArgumentException>("input", () => explainer.For(Target).At("wte").With(LayerGradientXActivation.Default).Attribute(template));
        Assert.Throws<ArgumentException>("target", () => explainer.For(TextTarget.Continuation("", "<s>")).With(FeatureAblation.Default).Attribute(template));
        Assert.Throws<ArgumentOutOfRangeException>("target", () => explainer.For(TextTarget.Tokens([99])).With(FeatureAblation.Default).Attribute(template));
        Assert.ThrowsAny<ArgumentException>(() => explainer.For(Target).At("no.such.layer"));
        // A model that does not return (B, L, V) logits.
        var wrong = Fluent.ExplainLanguageModel(model, ids => model.call(ids)[.., -1], Words);
        Assert.Throws<ArgumentException>("model", () => wrong.For(Target).With(FeatureAblation.Default).Attribute(template));
        // Training mode is refused unless asked for.
        model.train();
        Assert.Throws<ModelInTrainingModeException>(() => explainer.For(Target).With(FeatureAblation.Default).Attribute(template));
        model.eval();
    }

    private sealed class SyncProgress(Action<AttributionProgress> report) : IProgress<AttributionProgress>
    {
        public void Report(AttributionProgress value) => report(value);
    }
}
