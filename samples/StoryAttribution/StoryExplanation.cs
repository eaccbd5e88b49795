using System.Diagnostics;
using FluentAttrib;
using FluentAttrib.Plotting;
using FluentAttrib.Text;
using static TorchSharp.torch;

namespace StoryAttribution;

/// <summary>What one explanation measured and drew.</summary>
internal sealed record StoryResult(TextAttribution Ablation, TextAttribution Gradients, string Prompt, string Continuation,
    TimeSpan AblationTime, TimeSpan GradientTime, IReadOnlyList<(string Name, byte[] Bytes)> Figures) : IDisposable
{
    public void Dispose()
    {
        Ablation.Dispose();
        Gradients.Dispose();
    }
}

/// <summary>Which prompt words drive the model's continuation: FeatureAblation over the words (Captum's
/// LLMAttribution) and LayerIntegratedGradients on the word embeddings (LLMGradientAttribution).</summary>
internal static class StoryExplanation
{
    public const int PromptWords = 20, NewTokens = 10;

    /// <summary>The default prompt: the first <see cref="PromptWords"/> words of the first corpus sentence of at
    /// least 30 tokens, so the model continues mid-sentence.</summary>
    public static string DefaultPrompt(StoryCorpus corpus) =>
        string.Join(' ', corpus.Sentences.First(s => s.Length >= 30).Take(PromptWords));

    public static StoryResult Run(StoryModel model, StoryCorpus corpus, string prompt, TextWriter log)
    {
        var tokenizer = corpus.Tokenizer;
        string text = StoryCorpus.Normalize(prompt);
        // Every word is a feature; an absent word becomes <unk>; the <s> in front is kept and never reported.
        var input = new TextTokenInput(text, tokenizer, baseline: "<unk>", skipTokens: ["<s>"]);
        var explainer = Fluent.ExplainLanguageModel(model, tokenizer).For(TextTarget.Generation(NewTokens));

        var clock = Stopwatch.StartNew();
        var ablation = explainer.With(FeatureAblation.Default).Attribute(input);
        var ablationTime = clock.Elapsed;
        clock.Restart();
        var gradients = explainer.AtEmbeddings().With(LayerIntegratedGradients.Steps(20)).Attribute(input);
        var gradientTime = clock.Elapsed;

        string continuation = string.Join(' ', ablation.OutputTokens);
        log.WriteLine($"Prompt ({input.FeatureCount} words): {text}");
        log.WriteLine($"Greedy continuation: {continuation}");
        log.WriteLine($"FeatureAblation over the words: {ablationTime.TotalSeconds:F2} s; LayerIntegratedGradients (20 steps) on the embeddings: {gradientTime.TotalSeconds:F2} s.");
        log.WriteLine();
        log.WriteLine("FeatureAblation, log-probability of each generated word (rows) owed to each prompt word (columns):");
        log.WriteLine(ablation.ToText(2));
        log.WriteLine("Prompt words that raise the whole continuation's log-probability most (FeatureAblation, LayerIntegratedGradients):");
        var fa = ablation.SequenceAttribution.to(ScalarType.Float64).cpu().data<double>().ToArray();
        var ig = gradients.SequenceAttribution.to(ScalarType.Float64).cpu().data<double>().ToArray();
        foreach (int j in Enumerable.Range(0, fa.Length).OrderByDescending(j => fa[j]).Take(5))
            log.WriteLine($"  {ablation.InputTokens[j],-12} {fa[j],8:F3} {ig[j],8:F3}");

        var figures = new List<(string, byte[])>
        {
            ("story_feature_ablation.png", HeatMap.Png(ablation, "FeatureAblation: which prompt words (columns) drive each generated word (rows)")),
            ("story_integrated_gradients.png", HeatMap.Png(gradients, "LayerIntegratedGradients on the word embeddings")),
        };
        var view = ablation.SequenceAttribution.PlotTokens(ablation.InputTokens)
                   .WithTitle($"Prompt words coloured by their attribution to \"{continuation}\" (FeatureAblation)");
        {
            string tmp = Path.Combine(Path.GetTempPath(), $"story-{Guid.NewGuid():N}.png");
            view.SavePng(tmp);
            figures.Add(("story_text_view.png", File.ReadAllBytes(tmp)));
            File.Delete(tmp);
        }
        return new StoryResult(ablation, gradients, text, continuation, ablationTime, gradientTime, figures);
    }
}
