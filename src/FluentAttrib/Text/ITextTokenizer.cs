namespace FluentAttrib.Text;

/// <summary>
/// What interpretable text inputs and language-model attribution need from a tokenizer: the calls Captum makes on a
/// Hugging Face tokenizer (<c>encode</c>, <c>decode</c>, <c>convert_ids_to_tokens</c>, <c>convert_tokens_to_ids</c>,
/// offsets). <see cref="WordTokenizer"/> implements it for a word vocabulary; <see cref="TextTokenizer.From"/> adapts
/// any Microsoft.ML.Tokenizers tokenizer (BPE, WordPiece/BERT, SentencePiece/Llama, Tiktoken).
/// </summary>
public interface ITextTokenizer
{
    /// <summary>The token ids of <paramref name="text"/>; with <paramref name="addSpecialTokens"/> the tokenizer's
    /// special tokens (a beginning-of-sequence token, BERT's [CLS] … [SEP]) are added as the model expects them.</summary>
    /// <param name="text">The text to encode.</param>
    /// <param name="addSpecialTokens">Whether to add the special tokens the model expects around a sequence.</param>
    IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true);

    /// <summary>The tokens of <paramref name="text"/> without special tokens, each with the character span of
    /// <paramref name="text"/> it came from (used to show generated tokens as text).</summary>
    /// <param name="text">The text to encode.</param>
    IReadOnlyList<TokenSpan> EncodeWithOffsets(string text);

    /// <summary>The text of a sequence of token ids.</summary>
    /// <param name="ids">The token ids.</param>
    string Decode(IEnumerable<int> ids);

    /// <summary>The token string of one id (Captum's <c>convert_ids_to_tokens</c>).</summary>
    /// <param name="id">A token id of the vocabulary.</param>
    string IdToToken(int id);

    /// <summary>The id of one token string (Captum's <c>convert_tokens_to_ids</c>): the unknown token's id when the
    /// vocabulary has no such token; an <see cref="ArgumentException"/> when there is no unknown token either.</summary>
    /// <param name="token">A token string, e.g. <c>"&lt;unk&gt;"</c> or <c>"[MASK]"</c>.</param>
    int TokenToId(string token);
}

/// <summary>A token and the characters of the encoded text it covers.</summary>
/// <param name="Id">The token id.</param>
/// <param name="Start">Index of its first character in the text.</param>
/// <param name="End">Index one past its last character.</param>
public readonly record struct TokenSpan(int Id, int Start, int End);

/// <summary>A token given by id or by its string (Captum accepts either for baselines and skip tokens); converts
/// implicitly from <see cref="int"/> and <see cref="string"/>. The default value is token id 0.</summary>
public readonly record struct TokenRef
{
    private TokenRef(int? id, string? text)
    {
        IdValue = id;
        Text = text;
    }

    /// <summary>The token id, when the token was given by id.</summary>
    public int? IdValue { get; }

    /// <summary>The token string, when the token was given as text.</summary>
    public string? Text { get; }

    /// <summary>A token given by id.</summary>
    /// <param name="id">The token id.</param>
    public static TokenRef Id(int id) => new(id, null);

    /// <summary>A token given by its string, converted with <see cref="ITextTokenizer.TokenToId"/>.</summary>
    /// <param name="token">The token string.</param>
    public static TokenRef Token(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return new(null, token);
    }

    /// <summary>A token given by id.</summary>
    /// <param name="id">The token id.</param>
    public static implicit operator TokenRef(int id) => Id(id);

    /// <summary>A token given by its string.</summary>
    /// <param name="token">The token string.</param>
    public static implicit operator TokenRef(string token) => Token(token);

    /// <summary>The id of this token with <paramref name="tokenizer"/>.</summary>
    /// <param name="tokenizer">The tokenizer that converts a token string.</param>
    public int Resolve(ITextTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return IdValue ?? (Text is null ? 0 : tokenizer.TokenToId(Text)); // default(TokenRef) is id 0, as Captum's default baseline
    }

    /// <inheritdoc/>
    public override string ToString() => Text ?? IdValue?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "0";
}
