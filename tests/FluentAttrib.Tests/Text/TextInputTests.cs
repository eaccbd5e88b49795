using System.Text;
using FluentAttrib.Text;
using Microsoft.ML.Tokenizers;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Text;

public class TextInputTests
{
    private static readonly WordTokenizer Words = new(["<unk>", "<s>", "</s>", "the", "cat", "sees", "dog", "Dave", "lives", "in", "Paris", "he"],
        unknownToken: "<unk>", beginToken: "<s>", endToken: "</s>");

    [Fact]
    public void Word_tokenizer_splits_on_white_space_adds_bos_and_maps_unknown_words()
    {
        Assert.Equal([1, 3, 4, 0, 5], Words.Encode("the  cat zebra\tsees"));
        Assert.Equal([3, 4], Words.Encode(" the cat ", addSpecialTokens: false));
        Assert.Equal([1, 2], Words.Encode("<s> </s>", addSpecialTokens: false)); // special strings are ordinary words
        Assert.Equal("<s> the <unk>", Words.Decode([1, 3, 0]));
        Assert.Equal([new TokenSpan(3, 1, 4), new TokenSpan(0, 5, 10)], Words.EncodeWithOffsets(" the zebra"));
        Assert.Equal(0, Words.TokenToId("zebra"));
        Assert.Equal("cat", Words.IdToToken(4));
        Assert.Throws<ArgumentOutOfRangeException>("id", () => Words.IdToToken(12));
        Assert.Throws<ArgumentException>("vocabulary", () => new WordTokenizer(["a", "a"], "a"));
        Assert.Throws<ArgumentException>("unknownToken", () => new WordTokenizer(["a"], "b"));
    }

    [Fact]
    public void Token_input_makes_every_token_a_feature_including_bos_unless_skipped()
    {
        var all = new TextTokenInput("the cat sees", Words);
        Assert.Equal(["<s>", "the", "cat", "sees"], all.Values);
        Assert.Equal(4, all.FeatureCount);
        Assert.Equal(0, all.BaselineId);

        var skipped = new TextTokenInput("the cat sees", Words, baseline: "<unk>", skipTokens: ["<s>"]);
        Assert.Equal(["the", "cat", "sees"], skipped.Values);
        Assert.Equal([1, 2, 3], skipped.FeaturePositions);
        using var ones = skipped.ToTensor();
        Assert.Equal([1L, 3L], ones.shape);
        Assert.Equal(ScalarType.Float32, ones.dtype);

        // Absent features become the baseline id; the skipped BOS stays; the length never changes.
        using var presence = tensor(new float[] { 1, 0, 1, 0, 1, 1 }, [2, 3]);
        using var ids = skipped.ToModelInput(presence);
        Assert.Equal(new long[] { 1, 3, 0, 5, 1, 0, 4, 5 }, ids.data<long>().ToArray());
        Assert.Equal("<s> the <unk> sees", skipped.ToText(tensor(new float[] { 1, 0, 1 })));
        Assert.Equal("the cat sees", skipped.ToText());
        // Captum's rule: every entry other than 1 is absent.
        Assert.Equal([1L, 0, 4, 5], skipped.ToTokenIds(tensor(new float[] { 0.5f, 1, 1 }))[0]);
    }

    [Fact]
    public void Token_input_shows_an_unknown_word_as_the_unknown_token_and_skips_by_id()
    {
        var input = new TextTokenInput("Dave zebra", Words, baseline: 7, skipTokens: [1]);
        Assert.Equal(["Dave", "<unk>"], input.Values);
        Assert.Equal(7, input.BaselineId);
        Assert.Equal([1L, 7, 7], input.ToTokenIds(zeros(2))[0]);
        Assert.Throws<ArgumentException>("skipTokens", () => new TextTokenInput("", Words, skipTokens: ["<s>"]));
        Assert.Throws<ArgumentException>("presence", () => input.ToTokenIds(ones(3)));
        using var attribution = tensor(new[] { 1.0, 2.0 });
        using var formatted = input.FormatAttribution(attribution);
        Assert.Equal(new[] { 1.0, 2.0 }, formatted.data<double>().ToArray());
        Assert.Throws<ArgumentException>("attribution", () => input.FormatAttribution(ones(3)));
    }

    [Fact]
    public void Template_input_replaces_absent_values_by_their_baselines_and_removes_empty_ones()
    {
        var input = new TextTemplateInput("{} lives in {}", ["Dave", "Paris"], Words, baselines: ["he", "Paris"]);
        Assert.Equal(["Dave", "Paris"], input.Values);
        Assert.Equal(2, input.FeatureCount);
        Assert.Equal("Dave lives in Paris", input.ToText());
        Assert.Equal("he lives in Paris", input.ToText(tensor(new float[] { 0, 1 })));

        var removing = new TextTemplateInput("{} lives in {}", ["Dave", "Paris"], Words);
        Assert.Equal(" lives in Paris", removing.ToText(tensor(new float[] { 0, 1 })));
        var rows = removing.ToTokenIds(tensor(new float[] { 1, 1, 0, 1, 0, 0 }, [3, 2]));
        Assert.Equal([1L, 7, 8, 9, 10], rows[0]);
        Assert.Equal([1L, 8, 9, 10], rows[1]);   // later tokens move up
        Assert.Equal([1L, 8, 9], rows[2]);
        Assert.Throws<ArgumentException>("presence", () => removing.ToModelInput(tensor(new float[] { 1, 1, 0, 1 }, [2, 2])));

        var (ids, mask) = InterpretableText.Pad(rows, paddingId: 2);
        Assert.Equal(new long[] { 1, 7, 8, 9, 10, 1, 8, 9, 10, 2, 1, 8, 9, 2, 2 }, ids.data<long>().ToArray());
        Assert.Equal(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0, 0 }, mask.data<long>().ToArray());
        var (left, leftMask) = InterpretableText.Pad(rows, paddingId: 2, padLeft: true);
        Assert.Equal(new long[] { 2, 2, 1, 8, 9 }, left[2].data<long>().ToArray());
        Assert.Equal(new long[] { 0, 0, 1, 1, 1 }, leftMask[2].data<long>().ToArray());
    }

    [Fact]
    public void Named_template_keeps_the_key_order_and_groups_values_by_mask()
    {
        var values = new List<KeyValuePair<string, string>> { new("who", "Dave"), new("city", "Paris"), new("verb", "lives") };
        var input = new TextTemplateInput("{who} {verb} in {city} {{ok}}", values, Words,
            baselines: [new("city", "the"), new("who", "he"), new("verb", "sees")],
            mask: [new("who", 7), new("verb", -1), new("city", 7)]);
        Assert.Equal(["who", "city", "verb"], input.Keys);
        Assert.Equal(["Dave", "Paris", "lives"], input.Values);
        Assert.Equal(2, input.FeatureCount);
        Assert.Equal([1, 1, 0], input.FeatureOfValue); // groups in ascending mask id: -1 → 0, 7 → 1
        Assert.Equal("Dave lives in Paris {ok}", input.ToText());
        Assert.Equal("he lives in the {ok}", input.ToText(tensor(new float[] { 1, 0 })));
        Assert.Equal("Dave sees in Paris {ok}", input.ToText(tensor(new float[] { 0, 1 })));
        // A group's attribution goes to each of its values, whole.
        using var attribution = tensor(new float[] { 0.25f, 2f, -1f, 3f }, [2, 2]);
        using var formatted = input.FormatAttribution(attribution);
        Assert.Equal([2L, 3L], formatted.shape);
        Assert.Equal(new float[] { 2f, 2f, 0.25f, 3f, 3f, -1f }, formatted.data<float>().ToArray());
    }

    [Fact]
    public void Template_errors_name_the_argument()
    {
        Assert.Throws<ArgumentException>("values", () => new TextTemplateInput("{} {} {}", ["a", "b"], Words));
        Assert.Throws<ArgumentException>("baselines", () => new TextTemplateInput("{} {}", ["a", "b"], Words, baselines: ["x"]));
        Assert.Throws<ArgumentException>("mask", () => new TextTemplateInput("{} {}", ["a", "b"], Words, mask: [1]));
        Assert.Throws<ArgumentException>("template", () => new TextTemplateInput("{} {1}", ["a", "b"], Words));
        Assert.Throws<ArgumentException>("template", () => new TextTemplateInput("{:>5}", ["a"], Words));
        Assert.Throws<ArgumentException>("template", () => new TextTemplateInput("{name}", ["a"], Words));
        Assert.Throws<ArgumentException>("template", () => new TextTemplateInput("a } b", ["a"], Words));
        Assert.Throws<ArgumentException>("baselines", () => new TextTemplateInput("{x}", [new KeyValuePair<string, string>("x", "a")], Words,
            baselines: [new KeyValuePair<string, string>("y", "b")]));
        var numbered = new TextTemplateInput("{1} before {0}", ["a", "b"], Words);
        Assert.Equal("b before a", numbered.ToText());
    }

    [Fact]
    public void Words_become_template_values_with_one_baseline()
    {
        var input = TextTemplateInput.FromWords("the  cat sees", Words, baseline: "<unk>");
        Assert.Equal(["the", "cat", "sees"], input.Values);
        Assert.Equal("the <unk> sees", input.ToText(tensor(new float[] { 1, 0, 1 })));
        Assert.Equal([1L, 3, 0, 5], input.ToTokenIds(tensor(new float[] { 1, 0, 1 }))[0]);
    }

    [Fact]
    public void Microsoft_ml_bert_tokenizer_fits_the_abstraction()
    {
        string vocab = string.Join('\n', "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat", "##s", "on", "mat");
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(vocab));
        var bert = TextTokenizer.From(BertTokenizer.Create(stream));
        Assert.Equal([2, 5, 6, 7, 3], bert.Encode("The cat sat"));
        Assert.Equal([5, 6, 8, 7], bert.Encode("the cats sat", addSpecialTokens: false));
        Assert.Equal(4, bert.TokenToId("[MASK]"));
        Assert.Equal("[CLS]", bert.IdToToken(2));
        var spans = bert.EncodeWithOffsets("the mat");
        Assert.Equal([5, 10], spans.Select(s => s.Id));
        Assert.Equal((4, 7), (spans[1].Start, spans[1].End));

        var input = new TextTokenInput("the cat sat on the mat", bert, baseline: "[MASK]", skipTokens: ["[CLS]", "[SEP]"]);
        Assert.Equal(6, input.FeatureCount);
        Assert.Equal([2L, 5, 4, 7, 9, 5, 10, 3], input.ToTokenIds(tensor(new float[] { 1, 0, 1, 1, 1, 1 }))[0]);
    }
}
