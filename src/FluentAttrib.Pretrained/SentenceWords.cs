using System.Collections.Immutable;
using FluentAttrib.Text;
using static TorchSharp.torch;

namespace FluentAttrib.Pretrained;

/// <summary>
/// The words of one sentence as the interpretable features of a WordPiece encoder (Captum's <c>TextTokenInput</c>
/// with sub-words merged): built on a <see cref="TextTokenInput"/> whose skip tokens are the special tokens, it groups
/// each word's pieces (a piece starting with <c>##</c> continues the previous word) into one feature. Perturbation
/// methods take <see cref="InputIds()"/> with <see cref="FeatureMask"/> and <see cref="Baseline"/> (absent words become
/// the baseline token, special tokens never change), and <see cref="ReadPerWord"/> gives one value per word;
/// LayerIntegratedGradients on the embeddings takes <see cref="Baseline"/>, and <see cref="SumPerWord"/> adds each
/// word's pieces and embedding entries.
/// </summary>
public sealed class SentenceWords
{
    private readonly int[][] _pieces;
    private readonly long[] _featureOf;

    /// <summary>Groups the token features of <paramref name="tokens"/> into words.</summary>
    /// <param name="tokens">The sentence's tokens; its skip tokens (e.g. [CLS] and [SEP]) are never features.</param>
    /// <param name="tokenOf">The vocabulary entry of a token id, continuation prefix included (a decoding
    /// <see cref="ITextTokenizer.IdToToken"/> may drop it); <see cref="ITextTokenizer.IdToToken"/> when null.</param>
    /// <param name="continuationPrefix">The prefix of a piece that continues the previous word (WordPiece's <c>##</c>).</param>
    /// <exception cref="ArgumentException">The prefix is empty.</exception>
    public SentenceWords(TextTokenInput tokens, Func<int, string>? tokenOf = null, string continuationPrefix = "##")
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentException.ThrowIfNullOrEmpty(continuationPrefix);
        Tokens = tokens;
        var pieces = new List<List<int>>();
        var words = new List<string>();
        for (int f = 0; f < tokens.FeatureCount; f++)
        {
            int position = tokens.FeaturePositions[f];
            string piece = tokenOf is null ? tokens.Values[f] : tokenOf((int)tokens.TokenIds[position]);
            bool continues = pieces.Count > 0 && piece.StartsWith(continuationPrefix, StringComparison.Ordinal)
                             && pieces[^1][^1] == position - 1;
            if (continues)
            {
                pieces[^1].Add(position);
                words[^1] += piece[continuationPrefix.Length..];
            }
            else
            {
                pieces.Add([position]);
                words.Add(piece);
            }
        }
        _pieces = [.. pieces.Select(p => p.ToArray())];
        Words = words.ToImmutableArray();
        _featureOf = Enumerable.Repeat((long)Words.Count, tokens.TokenIds.Count).ToArray(); // special tokens: one extra group
        for (int w = 0; w < _pieces.Length; w++)
            foreach (int p in _pieces[w]) _featureOf[p] = w;
    }

    /// <summary>The sentence's tokens (sub-word features, special tokens skipped).</summary>
    public TextTokenInput Tokens { get; }

    /// <summary>The words, pieces merged (continuation prefixes removed), in order.</summary>
    public IReadOnlyList<string> Words { get; }

    /// <summary>Number of words (the number of columns of <see cref="SumPerWord"/> and <see cref="ReadPerWord"/>).</summary>
    public int WordCount => Words.Count;

    /// <summary>The positions in <see cref="TextTokenInput.TokenIds"/> of word <paramref name="word"/>'s pieces.</summary>
    /// <param name="word">Index of a word.</param>
    public IReadOnlyList<int> PiecesOf(int word)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(word);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(word, WordCount);
        return _pieces[word];
    }

    /// <summary>The model's token ids (1, L), int64, special tokens included.</summary>
    public Tensor InputIds() => tensor(Tokens.TokenIds.ToArray(), [1, Tokens.TokenIds.Count]);

    /// <summary>The attention mask (1, L), int64 ones.</summary>
    public Tensor AttentionMask() => ones([1, Tokens.TokenIds.Count], ScalarType.Int64);

    /// <summary>Feature groups (1, L), int64: word w's pieces are group w; the special tokens share group
    /// <see cref="WordCount"/>, whose baseline equals the input (so it never changes and gets no attribution).</summary>
    public Tensor FeatureMask() => tensor(_featureOf, [1, _featureOf.Length]);

    /// <summary>Baseline ids (1, L), int64: every word piece replaced by <see cref="TextTokenInput.BaselineId"/>
    /// (e.g. [MASK] or [PAD]), special tokens kept.</summary>
    public Tensor Baseline()
    {
        var ids = Tokens.TokenIds.ToArray();
        foreach (int p in Tokens.FeaturePositions) ids[p] = Tokens.BaselineId;
        return tensor(ids, [1, ids.Length]);
    }

    /// <summary>The token ids (1, L) with the words where <paramref name="present"/> is false replaced by the baseline token.</summary>
    /// <param name="present">One flag per word.</param>
    /// <exception cref="ArgumentException">The number of flags is not <see cref="WordCount"/>.</exception>
    public Tensor InputIds(IReadOnlyList<bool> present)
    {
        ArgumentNullException.ThrowIfNull(present);
        if (present.Count != WordCount)
            throw new ArgumentException($"Give one flag per word: {WordCount} words, {present.Count} flags.", nameof(present));
        var ids = Tokens.TokenIds.ToArray();
        for (int w = 0; w < WordCount; w++)
            if (!present[w]) foreach (int p in _pieces[w]) ids[p] = Tokens.BaselineId;
        return tensor(ids, [1, ids.Length]);
    }

    /// <summary>Per-word attribution (N, W) from a per-position attribution (N, L, …) such as LayerIntegratedGradients'
    /// on the embeddings (N, L, D): each word's pieces and all trailing entries are added; special tokens are left out.</summary>
    /// <param name="attribution">An attribution whose first two dimensions are (N, L).</param>
    /// <exception cref="ArgumentException">Its second dimension is not the number of tokens.</exception>
    public Tensor SumPerWord(Tensor attribution)
    {
        var perPosition = PerPosition(attribution, nameof(attribution));
        using var index = tensor(_featureOf, ScalarType.Int64, perPosition.device);
        using var groups = zeros([perPosition.shape[0], WordCount + 1], perPosition.dtype, perPosition.device);
        using var expanded = index.unsqueeze(0).expand_as(perPosition);
        using var summed = groups.scatter_add(1, expanded, perPosition);
        perPosition.Dispose();
        return summed[.., ..WordCount].clone();
    }

    /// <summary>Per-word attribution (N, W) from a grouped perturbation attribution (N, L) computed with
    /// <see cref="FeatureMask"/>, where every piece of a word carries the word's value: reads each word's first piece.</summary>
    /// <param name="attribution">An attribution of shape (N, L).</param>
    /// <exception cref="ArgumentException">Its shape is not (N, L), or a word's pieces carry different values (not grouped by <see cref="FeatureMask"/>).</exception>
    public Tensor ReadPerWord(Tensor attribution)
    {
        ArgumentNullException.ThrowIfNull(attribution);
        if (attribution.dim() != 2 || attribution.shape[1] != Tokens.TokenIds.Count)
            throw new ArgumentException(
                $"The attribution has shape ({string.Join(", ", attribution.shape)}); expected (N, {Tokens.TokenIds.Count}): one value per token.", nameof(attribution));
        using var first = tensor(_pieces.Select(p => (long)p[0]).ToArray(), ScalarType.Int64, attribution.device);
        var perWord = attribution.index_select(1, first);
        for (int w = 0; w < WordCount; w++)
            if (_pieces[w].Length > 1)
            {
                using var idx = tensor(_pieces[w].Select(p => (long)p).ToArray(), ScalarType.Int64, attribution.device);
                using var values = attribution.index_select(1, idx);
                using var spread = (values.max(1).values - values.min(1).values).abs().max();
                if (spread.item<float>() > 0)
                {
                    perWord.Dispose();
                    throw new ArgumentException(
                        $"The pieces of word {w} (\"{Words[w]}\") carry different values; run the method with this input's FeatureMask() or use SumPerWord.", nameof(attribution));
                }
            }
        return perWord;
    }

    private Tensor PerPosition(Tensor attribution, string paramName)
    {
        ArgumentNullException.ThrowIfNull(attribution);
        if (attribution.dim() < 2 || attribution.shape[1] != Tokens.TokenIds.Count)
            throw new ArgumentException(
                $"The attribution has shape ({string.Join(", ", attribution.shape)}); expected (N, {Tokens.TokenIds.Count}, …): one row per token.", paramName);
        return attribution.dim() == 2 ? attribution.alias() : attribution.reshape(attribution.shape[0], attribution.shape[1], -1).sum(dim: 2);
    }
}
