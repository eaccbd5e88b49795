using SkiaSharp;
using StoryAttribution;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Samples.Tests;

/// <summary>The StoryAttribution sample run once with its shipped weights.</summary>
public sealed class StoryRun : IDisposable
{
    public StoryRun()
    {
        Corpus = StoryCorpus.Load();
        Model = Weights.Load(Corpus);
        Log = new StringWriter();
        Result = StoryExplanation.Run(Model, Corpus, StoryExplanation.DefaultPrompt(Corpus), Log);
    }

    internal StoryCorpus Corpus { get; }
    internal StoryModel Model { get; }
    public StringWriter Log { get; }
    internal StoryResult Result { get; }

    public void Dispose()
    {
        Result.Dispose();
        Model.Dispose();
    }
}

/// <summary>The language-model sample: shipped weights, a 20-word prompt, a greedy continuation, its explanation.</summary>
[Collection(nameof(SeededTraining))]
public sealed class StoryTests(StoryRun run, ITestOutputHelper output) : IClassFixture<StoryRun>
{
    [Fact]
    public void The_shipped_model_continues_a_20_word_prompt_and_every_word_is_a_feature()
    {
        output.WriteLine(run.Log.ToString());
        var r = run.Result.Ablation;
        Assert.Equal(StoryExplanation.PromptWords, r.InputTokens.Count);
        Assert.InRange(r.OutputTokens.Count, 1, StoryExplanation.NewTokens);
        Assert.Equal([(long)r.OutputTokens.Count, StoryExplanation.PromptWords], r.TokenAttribution!.shape);
        Assert.Equal(run.Result.Gradients.TargetTokenIds, r.TargetTokenIds);   // both explain the same generation
        // log-probabilities add up: the sequence row is the sum of the token rows
        Assert.True(r.TokenAttribution.sum(dim: 0).allclose(r.SequenceAttribution, rtol: 1e-4, atol: 1e-4));
        Assert.True(r.SequenceAttribution.abs().max().item<float>() > 0);
    }

    [Fact]
    public void The_model_learned_the_text()
    {
        // A model that learned nothing gives each of its ~1000 words about 1/1000; the greedy words of the
        // trained one are far more likely than that.
        var p = run.Result.Ablation.Probabilities.data<double>().ToArray();
        output.WriteLine(string.Join(", ", p.Select(x => x.ToString("F3"))));
        Assert.True(p.Average() > 0.05, $"mean probability of the greedy words {p.Average():F3}");
    }

    [Fact]
    public void FeatureAblation_and_integrated_gradients_agree_on_the_most_important_words()
    {
        var fa = run.Result.Ablation.SequenceAttribution.to(ScalarType.Float64).data<double>().ToArray();
        var ig = run.Result.Gradients.SequenceAttribution.to(ScalarType.Float64).data<double>().ToArray();
        double r = Correlation(fa, ig);
        output.WriteLine($"corr(FA, LIG) over the prompt words = {r:F3}");
        Assert.True(r > 0.3, $"correlation {r:F3}");
    }

    [Fact]
    public void It_draws_the_heat_maps_and_the_text_view()
    {
        Assert.Equal(["story_feature_ablation.png", "story_integrated_gradients.png", "story_text_view.png"], run.Result.Figures.Select(f => f.Name));
        foreach (var (name, bytes) in run.Result.Figures)
        {
            using var image = SKBitmap.Decode(bytes);
            Assert.True(image is not null && image.Width >= 600 && image.Height >= 150, name);
        }
        Assert.Contains("(sequence)", run.Log.ToString());
    }

    [Fact]
    public void Training_is_reproducible()
    {
        using var a = StoryTrainer.Train(run.Corpus, TextWriter.Null, steps: 3);
        using var b = StoryTrainer.Train(run.Corpus, TextWriter.Null, steps: 3);
        foreach (var ((name, pa), (_, pb)) in a.named_parameters().Zip(b.named_parameters()))
            Assert.True((pa == pb).all().item<bool>(), name);
    }

    private static double Correlation(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average();
        double cov = a.Zip(b).Sum(p => (p.First - ma) * (p.Second - mb));
        return cov / Math.Sqrt(a.Sum(x => (x - ma) * (x - ma)) * b.Sum(x => (x - mb) * (x - mb)));
    }
}

/// <summary>
/// Runs alone, after the parallel tests: training seeds torch's global generator and then draws the initial weights
/// from it, so a test class drawing random numbers on another thread at the same moment would change them.
/// </summary>
[CollectionDefinition(nameof(SeededTraining), DisableParallelization = true)]
public sealed class SeededTraining;
