using System.Text.RegularExpressions;
using FluentAttrib.Text;

namespace StoryAttribution;

/// <summary>
/// The Austen sentences as one stream of lower-case words and punctuation, each sentence framed by &lt;s&gt; … &lt;/s&gt;.
/// The vocabulary is every token seen at least <see cref="MinCount"/> times (rarer words become &lt;unk&gt;), in
/// order of frequency, after the special tokens &lt;unk&gt; (id 0), &lt;s&gt; (1), &lt;/s&gt; (2).
/// </summary>
internal sealed partial class StoryCorpus
{
    public const int MinCount = 3;

    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "data", "austen.tsv");

    public required WordTokenizer Tokenizer { get; init; }

    /// <summary>The sentences, tokenised (no special tokens).</summary>
    public required IReadOnlyList<string[]> Sentences { get; init; }

    [GeneratedRegex(@"[a-z]+(?:'[a-z]+)?|[.,;:!?]")]
    private static partial Regex Token();

    /// <summary>Lower-case words and punctuation marks, space-separated: the text the word tokenizer reads.</summary>
    public static string Normalize(string text) => string.Join(' ', Token().Matches(text.ToLowerInvariant()).Select(m => m.Value));

    public static StoryCorpus Load(string? path = null)
    {
        path ??= DefaultPath;
        var sentences = new List<string[]>();
        foreach (var (line, number) in File.ReadLines(path).Select((l, i) => (l, i + 1)))
        {
            var parts = line.Split('\t');
            if (parts.Length != 2) throw new InvalidDataException($"{path}:{number} is not 'label<TAB>sentence'.");
            sentences.Add(Normalize(parts[1]).Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }
        var frequent = sentences.SelectMany(s => s).GroupBy(t => t).Where(g => g.Count() >= MinCount)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Key);
        var tokenizer = new WordTokenizer(["<unk>", "<s>", "</s>", .. frequent], "<unk>", "<s>", "</s>");
        return new StoryCorpus { Tokenizer = tokenizer, Sentences = sentences };
    }

    /// <summary>All sentences as one id stream: &lt;s&gt; words &lt;/s&gt; &lt;s&gt; …</summary>
    public long[] Stream() =>
        Sentences.SelectMany(s => Tokenizer.Encode(string.Join(' ', s)).Append(Tokenizer.EndId!.Value)).Select(i => (long)i).ToArray();
}
