using System.Diagnostics;
using FluentAttrib;
using FluentAttrib.Plotting;
using TorchSharp;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace TextClassification;

/// <summary>What the demo measured and wrote.</summary>
/// <param name="TestAccuracy">Share of test sentences whose novel is predicted right.</param>
/// <param name="TopWords">Per novel, the words with the largest mean attribution toward it on its test sentences.</param>
/// <param name="MaxDelta">Largest completeness error of LayerIntegratedGradients.</param>
/// <param name="Figure">Example sentences coloured by their words' attributions (Captum's text view).</param>
internal sealed record TextResult(double TestAccuracy, IReadOnlyList<IReadOnlyList<(string Word, double Mean, int Count)>> TopWords,
    double MaxDelta, TextFigure Figure);

/// <summary>
/// Captum's text recipe on a tiny model: which novel, Pride and Prejudice or Persuasion, a sentence comes from;
/// LayerIntegratedGradients on the embedding layer from an all-padding baseline, shown with Captum's text view.
/// </summary>
internal static class TextDemo
{
    public static SentenceClassifier Train(Austen data, int epochs = 15, int seed = 0, Device? device = null)
    {
        device ??= CPU;
        torch.manual_seed(seed);
        var model = new SentenceClassifier(data.Vocabulary.Count);
        model.to(device);
        using var x = data.Encode(data.Train.Select(r => r.Tokens)).to(device);
        using var y = Austen.LabelsOf(data.Train).to(device);
        using var optimizer = optim.Adam(model.parameters(), lr: 0.01, weight_decay: 1e-3);
        var rng = new Random(seed);
        int n = (int)x.shape[0];
        model.train();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            var order = Enumerable.Range(0, n).ToArray();
            rng.Shuffle(order);
            for (int start = 0; start < n; start += 64)
            {
                using var scope = NewDisposeScope();
                using var index = tensor(order[start..Math.Min(n, start + 64)].Select(i => (long)i).ToArray(), device: device);
                optimizer.zero_grad();
                var loss = nn.functional.cross_entropy(model.call(x.index_select(0, index)), y.index_select(0, index));
                loss.backward();
                optimizer.step();
            }
        }
        model.eval();
        return model;
    }

    /// <summary>Trains and attributes on <paramref name="device"/> (default CPU): the model and the sentences are moved there.</summary>
    public static TextResult Run(Austen data, TextWriter log, int examplesPerNovel = 5, Device? device = null)
    {
        device ??= CPU;
        var clock = Stopwatch.StartNew();
        using var model = Train(data, device: device);
        using var x = data.Encode(data.Test.Select(r => r.Tokens)).to(device);
        using var y = Austen.LabelsOf(data.Test).to(device);
        using var probabilities = Probabilities(model, x);
        using var predicted = probabilities.argmax(1);
        double accuracy = predicted.eq(y).to(ScalarType.Float32).mean().item<float>();
        log.WriteLine($"Sentence classifier ({data.Vocabulary.Count} words × 16-d embedding → 16 → 2) trained on {data.Train.Count} sentences " +
                      $"in {clock.Elapsed.TotalSeconds:F1} s; test accuracy {accuracy:P1} on {data.Test.Count} sentences.");

        // Attribute each test sentence to its own novel; the baseline is a sentence of padding (token id 0).
        clock.Restart();
        using var lig = Explain(model).For(data.Test.Select(r => r.Label).ToArray()).At("emb")
            .With(LayerIntegratedGradients.Steps(50).Baseline(Austen.Pad).ReturnDelta())
            .Attribute(x);
        using var perToken = lig.Value.sum(2);                         // N × T: summed over embedding dimensions
        double maxDelta = lig.Delta!.abs().max().item<float>();
        log.WriteLine($"LayerIntegratedGradients on 'emb' (50 steps) for {data.Test.Count} sentences in {clock.Elapsed.TotalSeconds:F1} s; " +
                      $"largest completeness error {maxDelta:E1}.");

        var values = perToken.to(ScalarType.Float64).cpu().data<double>().ToArray();
        var p = probabilities.cpu().data<float>().ToArray();
        var top = new List<IReadOnlyList<(string, double, int)>>();
        for (int k = 0; k < 2; k++)
        {
            var words = new Dictionary<string, (double Sum, int Count)>();
            for (int n = 0; n < data.Test.Count; n++)
            {
                if (data.Test[n].Label != k) continue;
                var tokens = data.Test[n].Tokens;
                for (int t = 0; t < tokens.Length; t++)
                {
                    var (sum, count) = words.GetValueOrDefault(tokens[t]);
                    words[tokens[t]] = (sum + values[n * Austen.MaxTokens + t], count + 1);
                }
            }
            var ranked = words.Where(w => w.Value.Count >= 3)
                .Select(w => (w.Key, w.Value.Sum / w.Value.Count, w.Value.Count))
                .OrderByDescending(w => w.Item2).Take(10).ToList();
            top.Add(ranked);
            log.WriteLine($"Words that point most to {Austen.Titles[k]} (mean attribution on its test sentences, ≥ 3 occurrences):");
            log.WriteLine("  " + string.Join(", ", ranked.Select(w => $"{w.Key} {w.Item2:F2}")));
        }

        // The first sentences of each novel in the test set, coloured by their tokens' attributions.
        TextFigure? figure = null;
        foreach (int n in Enumerable.Range(0, 2).SelectMany(k => Enumerable.Range(0, data.Test.Count).Where(i => data.Test[i].Label == k).Take(examplesPerNovel)))
        {
            var tokens = data.Test[n].Tokens;
            using var row = perToken[n, ..tokens.Length];
            var sentence = row.PlotTokens(tokens);
            int guess = p[2 * n + 1] > p[2 * n] ? 1 : 0;
            sentence = sentence.WithLabels(trueLabel: Austen.Titles[data.Test[n].Label], predictedLabel: Austen.Titles[guess],
                probability: p[2 * n + guess], attributionLabel: Austen.Titles[data.Test[n].Label], attributionScore: row.sum().item<float>());
            figure = figure is null ? sentence : figure.And(sentence.Records[0]);
        }
        figure = figure!.WithTitle("LayerIntegratedGradients on the word embeddings: Pride and Prejudice or Persuasion?");
        return new TextResult(accuracy, top, maxDelta, figure);
    }

    private static Tensor Probabilities(SentenceClassifier model, Tensor x)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        return model.call(x).softmax(1).MoveToOuterDisposeScope();
    }
}
