using FluentAttrib.Text;
using Microsoft.ML.Tokenizers;
using static TorchSharp.torch;

namespace FluentAttrib.Pretrained;

/// <summary>Sentences as a BERT encoder takes them: token ids and attention mask (N, L), padded to the longest, plus the tokens as text.</summary>
public sealed class EncodedSentences : IDisposable
{
    internal EncodedSentences(Tensor ids, Tensor mask, IReadOnlyList<IReadOnlyList<string>> tokens)
    {
        Ids = ids;
        Mask = mask;
        Tokens = tokens;
    }

    /// <summary>Token ids (N, L), int64, [CLS] first, [SEP] last, [PAD] after.</summary>
    public Tensor Ids { get; }

    /// <summary>Attention mask (N, L), int64: 1 for tokens, 0 for padding.</summary>
    public Tensor Mask { get; }

    /// <summary>Each sentence's tokens as text, special tokens included, padding excluded.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Tokens { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        Ids.Dispose();
        Mask.Dispose();
    }
}

/// <summary>A BERT WordPiece tokenizer (Microsoft.ML.Tokenizers' <see cref="BertTokenizer"/>) producing model inputs.</summary>
public sealed class SentenceTokenizer
{
    private readonly string[] _vocabulary;

    internal SentenceTokenizer(BertTokenizer tokenizer, string[] vocabulary, int maxTokens)
    {
        Tokenizer = tokenizer;
        _vocabulary = vocabulary;
        MaxTokens = maxTokens;
    }

    /// <summary>The underlying tokenizer.</summary>
    public BertTokenizer Tokenizer { get; }

    /// <summary>Longest encoding, special tokens included; longer texts are truncated (as sentence-transformers does).</summary>
    public int MaxTokens { get; }

    /// <summary>Token ids of <paramref name="text"/> with [CLS] and [SEP], truncated to <see cref="MaxTokens"/>.</summary>
    public IReadOnlyList<int> EncodeToIds(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = Tokenizer.EncodeToIds(text, addSpecialTokens: false, considerPreTokenization: true, considerNormalization: true).ToList();
        if (ids.Count > MaxTokens - 2) ids.RemoveRange(MaxTokens - 2, ids.Count - (MaxTokens - 2));
        return [Tokenizer.ClassificationTokenId, .. ids, Tokenizer.SeparatorTokenId];
    }

    /// <summary>The vocabulary entry of each token id (WordPiece continuations start with <c>##</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the vocabulary.</exception>
    public IReadOnlyList<string> TokensOf(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return [.. ids.Select(id => id >= 0 && id < _vocabulary.Length ? _vocabulary[id]
            : throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id {id} is outside the vocabulary of {_vocabulary.Length}."))];
    }

    /// <summary>The words of <paramref name="text"/> as interpretable features (Captum's <c>TextTokenInput</c> with
    /// [CLS] and [SEP] skipped, WordPieces merged into words): see <see cref="SentenceWords"/>.</summary>
    /// <param name="text">The sentence.</param>
    /// <param name="baseline">The token an absent word's pieces become, e.g. <c>"[MASK]"</c> or <c>"[PAD]"</c> (the default, id 0).</param>
    /// <exception cref="ArgumentException">The text has no word, or encodes to more than <see cref="MaxTokens"/> tokens.</exception>
    public SentenceWords Words(string text, TokenRef baseline = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = new TextTokenInput(text, TextTokenizer.From(Tokenizer), baseline,
            [TokenRef.Id(Tokenizer.ClassificationTokenId), TokenRef.Id(Tokenizer.SeparatorTokenId)]);
        if (tokens.TokenIds.Count > MaxTokens)
            throw new ArgumentException($"The text encodes to {tokens.TokenIds.Count} tokens; the model reads at most {MaxTokens}.", nameof(text));
        return new SentenceWords(tokens, id => TokensOf([id])[0]);
    }

    /// <summary>Encodes <paramref name="sentences"/> into a padded batch.</summary>
    /// <exception cref="ArgumentException">No sentence was given.</exception>
    public EncodedSentences Encode(params IReadOnlyList<string> sentences)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        if (sentences.Count == 0) throw new ArgumentException("Give at least one sentence.", nameof(sentences));
        var encoded = sentences.Select(EncodeToIds).ToList();
        int length = encoded.Max(e => e.Count);
        var ids = new long[sentences.Count * length];
        var mask = new long[sentences.Count * length];
        for (int i = 0; i < encoded.Count; i++)
            for (int j = 0; j < length; j++)
            {
                bool real = j < encoded[i].Count;
                ids[i * length + j] = real ? encoded[i][j] : Tokenizer.PaddingTokenId;
                mask[i * length + j] = real ? 1 : 0;
            }
        return new EncodedSentences(tensor(ids, [sentences.Count, length]), tensor(mask, [sentences.Count, length]),
            [.. encoded.Select(TokensOf)]);
    }
}
