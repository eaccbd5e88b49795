using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace TextClassification;

/// <summary>
/// Sentences of two Jane Austen novels (see data/CREDITS.md), tokenised into lower-case words and split once
/// (seeded) into training and test sentences. Token ids: 0 padding, 1 unknown word, then the training vocabulary
/// (words seen at least twice).
/// </summary>
internal sealed partial class Austen
{
    public const int Pad = 0, Unknown = 1, MaxTokens = 32;

    public static IReadOnlyList<string> Labels { get; } = ["pride_and_prejudice", "persuasion"];

    public static IReadOnlyList<string> Titles { get; } = ["Pride and Prejudice", "Persuasion"];

    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "data", "austen.tsv");

    public required IReadOnlyList<(string[] Tokens, int Label)> Train { get; init; }

    public required IReadOnlyList<(string[] Tokens, int Label)> Test { get; init; }

    /// <summary>Words by id (ids 0 and 1 are "[pad]" and "[unk]").</summary>
    public required IReadOnlyList<string> Vocabulary { get; init; }

    private Dictionary<string, long> Ids { get; init; } = [];

    [GeneratedRegex(@"[a-z]+(?:'[a-z]+)?")]
    private static partial Regex Word();

    public static string[] Tokenize(string sentence) =>
        [.. Word().Matches(sentence.ToLowerInvariant()).Select(m => m.Value).Take(MaxTokens)];

    /// <summary>Reads the sentences; every fifth of a seeded shuffle is a test sentence.</summary>
    /// <exception cref="InvalidDataException">A line is not <c>label TAB sentence</c> with a known label.</exception>
    public static Austen Load(string? path = null, int seed = 0)
    {
        path ??= DefaultPath;
        var rows = new List<(string[] Tokens, int Label)>();
        foreach (var (line, number) in File.ReadLines(path).Select((l, i) => (l, i + 1)))
        {
            var parts = line.Split('\t');
            int label = parts.Length == 2 ? Labels.ToList().IndexOf(parts[0]) : -1;
            if (label < 0) throw new InvalidDataException($"{path}:{number} is not 'label<TAB>sentence' with a label {string.Join(" or ", Labels)}.");
            rows.Add((Tokenize(parts[1]), label));
        }
        var order = Enumerable.Range(0, rows.Count).ToArray();
        new Random(seed).Shuffle(order);
        var train = order.Where((_, i) => i % 5 != 0).Select(i => rows[i]).ToList();
        var test = order.Where((_, i) => i % 5 == 0).Select(i => rows[i]).ToList();
        var counts = train.SelectMany(r => r.Tokens).GroupBy(t => t).Where(g => g.Count() >= 2)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Key);
        var vocabulary = new List<string> { "[pad]", "[unk]" };
        vocabulary.AddRange(counts);
        return new Austen
        {
            Train = train,
            Test = test,
            Vocabulary = vocabulary,
            Ids = vocabulary.Select((w, i) => (w, i)).ToDictionary(x => x.w, x => (long)x.i),
        };
    }

    /// <summary>Token ids of <paramref name="sentences"/>, padded to <see cref="MaxTokens"/>: N × 32 int64.</summary>
    public Tensor Encode(IEnumerable<string[]> sentences)
    {
        var list = sentences.ToList();
        var ids = new long[list.Count * MaxTokens];
        for (int n = 0; n < list.Count; n++)
            for (int t = 0; t < list[n].Length; t++)
                ids[n * MaxTokens + t] = Ids.GetValueOrDefault(list[n][t], Unknown);
        return tensor(ids, [list.Count, MaxTokens]);
    }

    public static Tensor LabelsOf(IEnumerable<(string[] Tokens, int Label)> rows) => tensor(rows.Select(r => (long)r.Label).ToArray());
}
