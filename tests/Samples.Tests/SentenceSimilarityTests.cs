using SentenceSimilarity;
using SkiaSharp;
using Xunit;
using Xunit.Abstractions;

namespace Samples.Tests;

/// <summary>Runs the SentenceSimilarity sample once (its defaults: a query and six sentences, 50-step LayerIntegratedGradients).</summary>
public sealed class SimilarityRun
{
    public SimilarityRun()
    {
        FluentAttrib.TorchRuntime.EnsureLoaded();
        var log = new StringWriter();
        Result = SimilarityDemo.Run(SimilarityDemo.DefaultQuery, SimilarityDemo.DefaultSentences, log);
        Log = log.ToString();
    }

    internal SimilarityResult Result { get; }
    public string Log { get; }
}

/// <summary>The SentenceSimilarity sample end to end: the paraphrase ranks first and its shared or synonymous words explain it.</summary>
public sealed class SentenceSimilarityTests(SimilarityRun run, ITestOutputHelper output) : IClassFixture<SimilarityRun>
{
    private static double PositiveShare(SideExplanation side, params string[] words)
    {
        double positive = side.Attributions.Where(a => a > 0).Sum();
        double chosen = side.Words.Select((w, i) => words.Contains(w) ? Math.Max(0, side.Attributions[i]) : 0).Sum();
        return chosen / positive;
    }

    [Fact]
    public void The_paraphrase_ranks_first_and_its_shared_and_synonymous_words_carry_most_positive_attribution()
    {
        output.WriteLine(run.Log);
        var r = run.Result;
        Assert.Equal("Someone plays an acoustic guitar on stage.", r.Ranking[0].Sentence);
        Assert.True(r.Ranking[0].Cosine > r.Ranking[1].Cosine + 0.3, "the paraphrase should stand far above the rest");
        // guitar = guitar, playing ~ plays: most of the positive attribution on both sides.
        double queryShare = PositiveShare(r.Query, "guitar", "playing");
        double matchShare = PositiveShare(r.Match, "guitar", "plays");
        output.WriteLine($"share of positive attribution: query {queryShare:P0}, match {matchShare:P0}");
        Assert.True(queryShare > 0.5, $"query: {queryShare:P0}");
        Assert.True(matchShare > 0.5, $"match: {matchShare:P0}");
        Assert.Equal("guitar", r.Query.Words[Array.IndexOf(r.Query.Attributions, r.Query.Attributions.Max())]);
        Assert.Equal("guitar", r.Match.Words[Array.IndexOf(r.Match.Attributions, r.Match.Attributions.Max())]);
        Assert.True(r.Query.CompletenessError < 1e-3 && r.Match.CompletenessError < 1e-3);
    }

    [Fact]
    public void The_strongest_word_pair_is_guitar_with_guitar_and_the_views_are_written()
    {
        var r = run.Result;
        var m = r.Interactions;
        Assert.Equal((r.Query.Words.Count, r.Match.Words.Count), (m.GetLength(0), m.GetLength(1)));
        (int bi, int bj) = (0, 0);
        for (int i = 0; i < m.GetLength(0); i++)
            for (int j = 0; j < m.GetLength(1); j++)
                if (m[i, j] > m[bi, bj]) (bi, bj) = (i, j);
        Assert.Equal(("guitar", "guitar"), (r.Query.Words[bi], r.Match.Words[bj]));
        using var heatmap = SKBitmap.Decode(r.Heatmap);
        Assert.Equal((900, 700), (heatmap.Width, heatmap.Height));
        string html = r.Text.ToHtml();
        Assert.Contains("acoustic", html);
        Assert.Equal(2, r.Text.Records.Count);
    }
}
