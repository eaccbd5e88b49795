using Microsoft.ML.Tokenizers;

namespace FluentAttrib.Text;

/// <summary>Adapters from tokenizer libraries to <see cref="ITextTokenizer"/>.</summary>
public static class TextTokenizer
{
    /// <summary>
    /// Adapts a Microsoft.ML.Tokenizers tokenizer. Special tokens: a <see cref="BertTokenizer"/> adds [CLS] … [SEP],
    /// a <see cref="SentencePieceTokenizer"/> (Llama) its beginning/end-of-sentence tokens as it is configured, a
    /// <see cref="BpeTokenizer"/> its beginning/end-of-sentence tokens when it has them; any tokenizer additionally
    /// gets <paramref name="beginToken"/> in front when one is given (e.g. GPT-2's <c>&lt;|endoftext|&gt;</c> for a
    /// model trained with it as BOS).
    /// </summary>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <param name="beginToken">An extra token put in front of every encoding with special tokens, or null.</param>
    public static ITextTokenizer From(Tokenizer tokenizer, string? beginToken = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return new MlTokenizerAdapter(tokenizer, beginToken);
    }
}

internal sealed class MlTokenizerAdapter : ITextTokenizer
{
    private readonly Tokenizer _tokenizer;
    private readonly int? _beginId;
    private readonly HashSet<int> _special = [];
    private Dictionary<int, string>? _reverse;

    public MlTokenizerAdapter(Tokenizer tokenizer, string? beginToken)
    {
        _tokenizer = tokenizer;
        switch (tokenizer)
        {
            case BertTokenizer bert:
                _special.UnionWith([bert.ClassificationTokenId, bert.SeparatorTokenId]);
                break;
            case SentencePieceTokenizer sp:
                _special.UnionWith([sp.BeginningOfSentenceId, sp.EndOfSentenceId]);
                break;
            case BpeTokenizer bpe:
                if (bpe.SpecialTokens is { } specialTokens) _special.UnionWith(specialTokens.Values);
                break;
        }
        if (beginToken is not null)
        {
            _beginId = TokenToId(beginToken);
        }
    }

    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        IReadOnlyList<int> ids = _tokenizer switch
        {
            BertTokenizer bert => bert.EncodeToIds(text, addSpecialTokens, considerPreTokenization: true, considerNormalization: true),
            SentencePieceTokenizer sp => sp.EncodeToIds(text, addSpecialTokens && sp.AddBeginningOfSentence, addSpecialTokens && sp.AddEndOfSentence,
                considerPreTokenization: true, considerNormalization: true),
            _ => addSpecialTokens ? _tokenizer.EncodeToIds(text) : _tokenizer.EncodeToIds(text).Where(i => !_special.Contains(i)).ToList(),
        };
        if (addSpecialTokens && _beginId is { } b) return [b, .. ids];
        return ids;
    }

    public IReadOnlyList<TokenSpan> EncodeWithOffsets(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = _tokenizer.EncodeToTokens(text, out _);
        var spans = new List<TokenSpan>(tokens.Count);
        foreach (var t in tokens)
        {
            if (_special.Contains(t.Id)) continue;
            var (start, length) = t.Offset.GetOffsetAndLength(int.MaxValue);
            spans.Add(new TokenSpan(t.Id, Math.Min(start, text.Length), Math.Min(start + length, text.Length)));
        }
        return spans;
    }

    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return _tokenizer.Decode(ids) ?? "";
    }

    public string IdToToken(int id)
    {
        switch (_tokenizer)
        {
            case BpeTokenizer bpe:
                _reverse ??= Reverse(bpe.Vocabulary);
                break;
            case SentencePieceTokenizer sp:
                _reverse ??= Reverse(sp.Vocabulary);
                break;
            case WordPieceTokenizer wp when wp.SpecialTokens is { } special:
                _reverse ??= Reverse(special);
                break;
        }
        if (_reverse is not null && _reverse.TryGetValue(id, out var token)) return token;
        return _tokenizer.Decode([id]) ?? "";
    }

    private static Dictionary<int, string> Reverse(IEnumerable<KeyValuePair<string, int>> vocabulary)
    {
        var reverse = new Dictionary<int, string>();
        foreach (var (k, v) in vocabulary) reverse.TryAdd(v, k);
        return reverse;
    }

    public int TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        switch (_tokenizer)
        {
            case BpeTokenizer bpe when bpe.Vocabulary.TryGetValue(token, out int id): return id;
            case SentencePieceTokenizer sp when sp.Vocabulary.TryGetValue(token, out int id): return id;
            case SentencePieceTokenizer sp: return sp.UnknownId;
            case TiktokenTokenizer tt when tt.SpecialTokens is { } special && special.TryGetValue(token, out int id): return id;
            case WordPieceTokenizer wp when wp.SpecialTokens is { } special && special.TryGetValue(token, out int id): return id;
        }
        var ids = _tokenizer.EncodeToIds(token, considerPreTokenization: false, considerNormalization: false).Where(i => !_special.Contains(i)).ToList();
        if (ids.Count == 1) return ids[0];
        if (_tokenizer is WordPieceTokenizer w) return w.UnknownTokenId;
        throw new ArgumentException($"'{token}' is not a single token of this tokenizer (it encodes to {ids.Count} tokens).", nameof(token));
    }
}
