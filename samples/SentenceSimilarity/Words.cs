namespace SentenceSimilarity;

/// <summary>WordPiece tokens merged back into words: a token starting with ## continues the previous word; [CLS] and [SEP] are dropped.</summary>
internal static class Words
{
    /// <summary>For each word, its text and the token positions it covers.</summary>
    public static IReadOnlyList<(string Word, int[] Tokens)> Of(IReadOnlyList<string> tokens)
    {
        var words = new List<(string, List<int>)>();
        for (int i = 0; i < tokens.Count; i++)
        {
            string t = tokens[i];
            if (t is "[CLS]" or "[SEP]" or "[PAD]") continue;
            if (t.StartsWith("##", StringComparison.Ordinal) && words.Count > 0)
            {
                var (text, positions) = words[^1];
                positions.Add(i);
                words[^1] = (text + t[2..], positions);
            }
            else words.Add((t, [i]));
        }
        return [.. words.Select(w => (w.Item1, w.Item2.ToArray()))];
    }

    /// <summary>Per-word sums of per-token values.</summary>
    public static double[] Sum(IReadOnlyList<(string Word, int[] Tokens)> words, IReadOnlyList<double> perToken) =>
        [.. words.Select(w => w.Tokens.Sum(t => perToken[t]))];
}
