using SkiaSharp;
using TextClassification;
using Xunit;
using Xunit.Abstractions;

namespace Samples.Tests;

/// <summary>The Austen sample: a weak but real classifier, and attributions that find the novels' characters.</summary>
public sealed class TextTests(AustenRun run, ITestOutputHelper output) : IClassFixture<AustenRun>
{
    [Fact]
    public void The_data_is_700_sentences_of_each_novel_split_four_to_one()
    {
        var data = Austen.Load();
        Assert.Equal(1120, data.Train.Count);
        Assert.Equal(280, data.Test.Count);
        Assert.Equal(700, data.Train.Concat(data.Test).Count(r => r.Label == 0));
        Assert.Equal(["it", "is", "a", "truth"], Austen.Tokenize("It is a truth")); // lower case, words only
        Assert.Equal("[pad]", data.Vocabulary[Austen.Pad]);
        using var ids = data.Encode([["it", "is", "zzzz"]]);
        Assert.Equal([1L, Austen.MaxTokens], ids.shape);
        Assert.Equal(Austen.Unknown, ids[0, 2].item<long>());
        Assert.Equal(Austen.Pad, ids[0, 3].item<long>());
    }

    [Fact]
    public void The_classifier_does_better_than_chance_on_held_out_sentences()
    {
        // Measured 68.6%: most sentences name no character and the two novels share an author, so this is a weak
        // model; 60% still fails one that learned nothing (50%).
        output.WriteLine($"test accuracy {run.Result.TestAccuracy:P1}");
        Assert.InRange(run.Result.TestAccuracy, 0.6, 1.0);
    }

    [Fact]
    public void LayerIntegratedGradients_is_complete()
    {
        // The sum over tokens and embedding dimensions equals logit(sentence) − logit(all padding).
        Assert.True(run.Result.MaxDelta < 1e-3, $"completeness error {run.Result.MaxDelta}");
    }

    [Fact]
    public void The_words_that_point_to_each_novel_are_mostly_its_characters()
    {
        string[][] characters =
        [
            ["bennet", "darcy", "bingley", "elizabeth", "jane", "lydia", "wickham", "collins", "lizzy", "longbourn", "netherfield", "catherine", "kitty"],
            ["elliot", "anne", "wentworth", "musgrove", "harville", "louisa", "russell", "walter", "kellynch", "benwick", "uppercross", "henrietta", "croft", "clay"],
        ];
        for (int k = 0; k < 2; k++)
        {
            var top = run.Result.TopWords[k].Select(w => w.Word).ToList();
            output.WriteLine($"{Austen.Titles[k]}: {string.Join(", ", top)}");
            Assert.True(top.Take(5).Count(characters[k].Contains) >= 3, $"{Austen.Titles[k]}: {string.Join(", ", top)}");
            Assert.DoesNotContain(top, characters[1 - k].Contains);
        }
    }

    [Fact]
    public void The_text_view_shows_the_example_sentences_with_their_labels()
    {
        var figure = run.Result.Figure;
        Assert.Equal(10, figure.Records.Count);
        string html = figure.ToHtml();
        Assert.Contains("Pride and Prejudice", html);
        Assert.Contains("Persuasion", html);
        foreach (var record in figure.Records)
            Assert.Contains(System.Net.WebUtility.HtmlEncode(record.Tokens[0]), html);
        using var bitmap = SKBitmap.Decode(figure.WithSize(1100, 720).ToPng());
        Assert.Equal(1100, bitmap.Width);
    }
}

/// <summary>The Austen demo, run once.</summary>
public sealed class AustenRun
{
    public AustenRun() => Result = TextDemo.Run(Austen.Load(), TextWriter.Null);

    internal TextResult Result { get; }
}
