using System.Collections.Immutable;

namespace FluentAttrib.Text;

/// <summary>
/// A word-level tokenizer: text is split on runs of white space and each word maps to its id in a fixed vocabulary
/// (an unknown word to the unknown token); with special tokens the beginning-of-sequence token is prepended (no end
/// token is added). Decoding joins tokens with one space. This is the tokenizer of the LLM golden cases and of
/// small word-level models.
/// </summary>
public sealed class WordTokenizer : ITextTokenizer
{
    private readonly ImmutableArray<string> _vocabulary;
    private readonly Dictionary<string, int> _ids;

    /// <summary>A tokenizer over <paramref name="vocabulary"/> (token id = index).</summary>
    /// <param name="vocabulary">The tokens, id = position; no duplicates.</param>
    /// <param name="unknownToken">The token unknown words map to; must be in the vocabulary.</param>
    /// <param name="beginToken">The token prepended when special tokens are added, or null for none.</param>
    /// <param name="endToken">The end-of-sequence token (never added by encoding; generation stops on it), or null.</param>
    public WordTokenizer(IEnumerable<string> vocabulary, string unknownToken, string? beginToken = null, string? endToken = null)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(unknownToken);
        _vocabulary = vocabulary.ToImmutableArray();
        if (_vocabulary.IsEmpty) throw new ArgumentException("The vocabulary is empty.", nameof(vocabulary));
        _ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < _vocabulary.Length; i++)
        {
            var token = _vocabulary[i] ?? throw new ArgumentException($"Vocabulary entry {i} is null.", nameof(vocabulary));
            if (token.Length == 0 || token.Any(char.IsWhiteSpace))
                throw new ArgumentException($"Vocabulary entry {i} ('{token}') is empty or contains white space; a word tokenizer could never produce it.", nameof(vocabulary));
            if (!_ids.TryAdd(token, i))
                throw new ArgumentException($"Token '{token}' appears twice in the vocabulary (ids {_ids[token]} and {i}).", nameof(vocabulary));
        }
        UnknownId = Require(unknownToken, nameof(unknownToken));
        BeginId = beginToken is null ? null : Require(beginToken, nameof(beginToken));
        EndId = endToken is null ? null : Require(endToken, nameof(endToken));
    }

    private int Require(string token, string paramName) =>
        _ids.TryGetValue(token, out int id) ? id : throw new ArgumentException($"Token '{token}' is not in the vocabulary.", paramName);

    /// <summary>The tokens, id = index.</summary>
    public IReadOnlyList<string> Vocabulary => _vocabulary;

    /// <summary>The id unknown words map to.</summary>
    public int UnknownId { get; }

    /// <summary>The id prepended when special tokens are added, if any.</summary>
    public int? BeginId { get; }

    /// <summary>The end-of-sequence id, if any.</summary>
    public int? EndId { get; }

    /// <inheritdoc/>
    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        if (addSpecialTokens && BeginId is { } b) ids.Add(b);
        foreach (var span in EncodeWithOffsets(text)) ids.Add(span.Id);
        return ids;
    }

    /// <inheritdoc/>
    public IReadOnlyList<TokenSpan> EncodeWithOffsets(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var spans = new List<TokenSpan>();
        int i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            int start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i])) i++;
            if (i > start) spans.Add(new TokenSpan(TokenToId(text[start..i]), start, i));
        }
        return spans;
    }

    /// <inheritdoc/>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return string.Join(' ', ids.Select(IdToToken));
    }

    /// <inheritdoc/>
    public string IdToToken(int id) =>
        id >= 0 && id < _vocabulary.Length ? _vocabulary[id]
            : throw new ArgumentOutOfRangeException(nameof(id), id, $"Token id {id} is outside the vocabulary (0..{_vocabulary.Length - 1}).");

    /// <inheritdoc/>
    public int TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _ids.TryGetValue(token, out int id) ? id : UnknownId;
    }
}
