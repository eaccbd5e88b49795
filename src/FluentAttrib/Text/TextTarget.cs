using System.Collections.Immutable;

namespace FluentAttrib.Text;

/// <summary>
/// What a language model is explained for (Captum's <c>target</c> of <c>LLMAttribution.attribute</c>): a given
/// continuation, by text or token ids (teacher forcing), or the model's own greedy generation.
/// </summary>
public sealed class TextTarget
{
    private TextTarget(string? text, ImmutableArray<long>? ids, ImmutableArray<TokenRef> skip, int maxNewTokens, TokenRef? endOfSequence)
    {
        Text = text;
        Ids = ids;
        SkipTokens = skip;
        MaxNewTokens = maxNewTokens;
        EndOfSequence = endOfSequence;
    }

    /// <summary>
    /// A continuation given as text. As in Captum it is encoded with the tokenizer's special tokens (so a
    /// beginning-of-sequence token is the first target token and its log-probability is attributed) and then every
    /// token in <paramref name="skipTokens"/> is removed wherever it occurs: pass the BOS token there to attribute
    /// only the words.
    /// </summary>
    /// <param name="text">The continuation.</param>
    /// <param name="skipTokens">Tokens (ids or strings) removed from the target.</param>
    public static TextTarget Continuation(string text, params TokenRef[] skipTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(skipTokens);
        return new(text, null, [.. skipTokens], 0, null);
    }

    /// <summary>A continuation given as token ids; every id in <paramref name="skipTokens"/> is removed from it.</summary>
    /// <param name="ids">The target token ids.</param>
    /// <param name="skipTokens">Tokens (ids or strings) removed from the target.</param>
    public static TextTarget Tokens(IEnumerable<long> ids, params TokenRef[] skipTokens)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(skipTokens);
        return new(null, [.. ids], [.. skipTokens], 0, null);
    }

    /// <summary>
    /// The model's greedy continuation of the unperturbed prompt: up to <paramref name="maxNewTokens"/> tokens, each
    /// the argmax of the last position's logits (first index on ties), stopping right after the end-of-sequence token
    /// (which is kept). Captum's default when no target is given (25 new tokens). Skip tokens never apply to a
    /// generated target.
    /// </summary>
    /// <param name="maxNewTokens">Most tokens to generate.</param>
    /// <param name="endOfSequence">The token that ends generation; null = the tokenizer's
    /// (<see cref="WordTokenizer.EndId"/>) when it has one, else none.</param>
    public static TextTarget Generation(int maxNewTokens = Defaults.GeneratedTokens, TokenRef? endOfSequence = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxNewTokens);
        return new(null, null, [], maxNewTokens, endOfSequence);
    }

    /// <summary>The continuation text, when given as text.</summary>
    public string? Text { get; }

    /// <summary>The continuation ids, when given as ids.</summary>
    public IReadOnlyList<long>? TokenIds => Ids;

    private ImmutableArray<long>? Ids { get; }

    /// <summary>Tokens removed from a given continuation.</summary>
    public IReadOnlyList<TokenRef> SkipTokens { get; }

    /// <summary>Whether the target is the model's greedy generation.</summary>
    public bool IsGenerated => Text is null && Ids is null;

    /// <summary>Most tokens a generated target has (0 for a given continuation).</summary>
    public int MaxNewTokens { get; }

    /// <summary>The token that ends a generation, if given.</summary>
    public TokenRef? EndOfSequence { get; }

    /// <summary>The ids of a given continuation after the skip tokens are removed (not for a generated target).</summary>
    internal long[] Resolve(ITextTokenizer tokenizer)
    {
        var skip = SkipTokens.Select(t => (long)t.Resolve(tokenizer)).ToHashSet();
        IEnumerable<long> ids = Text is not null ? tokenizer.Encode(Text, addSpecialTokens: true).Select(i => (long)i) : Ids!.Value;
        return ids.Where(i => !skip.Contains(i)).ToArray();
    }

    /// <inheritdoc/>
    public override string ToString() =>
        Text is not null ? $"\"{Text}\"" : Ids is { } ids ? "[" + string.Join(", ", ids) + "]" : $"greedy generation of up to {MaxNewTokens} tokens";
}

/// <summary>
/// The score of each target token that is attributed (Captum's <c>attr_target</c>, Inseq's attributed functions),
/// and how the sequence total is formed from the per-token scores.
/// </summary>
public sealed class TokenScore
{
    private TokenScore(TokenScoreKind kind, TextTarget? foil)
    {
        Kind = kind;
        Foil = foil;
    }

    /// <summary>log p(yₖ | prompt, y₍&lt;k₎); the sequence total is the sum, log p(y | prompt). Captum's default <c>"log_prob"</c>.</summary>
    public static TokenScore LogProbability { get; } = new(TokenScoreKind.LogProbability, null);

    /// <summary>p(yₖ | prompt, y₍&lt;k₎); the sequence total is the product, p(y | prompt). Captum's <c>"prob"</c>.</summary>
    public static TokenScore Probability { get; } = new(TokenScoreKind.Probability, null);

    /// <summary>The entropy −Σᵥ p(v) log p(v) of the next-token distribution at each target step (Inseq's
    /// <c>entropy</c> step function); the sequence total is the sum.</summary>
    public static TokenScore Entropy { get; } = new(TokenScoreKind.Entropy, null);

    /// <summary>
    /// Contrastive: log p(yₖ | prompt, y₍&lt;k₎) − log p(fₖ | prompt, y₍&lt;k₎) — why the model said yₖ rather than the
    /// foil fₖ at the same step (Yin &amp; Neubig's contrastive explanations); the sequence total is the sum. The foil
    /// must have as many tokens as the target.
    /// </summary>
    /// <param name="foil">The alternative tokens, one per target token (text or ids; not a generation).</param>
    public static TokenScore Contrastive(TextTarget foil)
    {
        ArgumentNullException.ThrowIfNull(foil);
        if (foil.IsGenerated) throw new ArgumentException("A foil must be given as text or token ids, not generated.", nameof(foil));
        return new(TokenScoreKind.Contrastive, foil);
    }

    /// <summary>What is scored.</summary>
    public TokenScoreKind Kind { get; }

    /// <summary>The foil of a contrastive score.</summary>
    public TextTarget? Foil { get; }

    /// <inheritdoc/>
    public override string ToString() => Kind == TokenScoreKind.Contrastive ? $"contrastive log-probability against {Foil}" : Kind.ToString();
}

/// <summary>Kinds of <see cref="TokenScore"/>.</summary>
public enum TokenScoreKind
{
    /// <summary>Log-probability of the target token.</summary>
    LogProbability,
    /// <summary>Probability of the target token.</summary>
    Probability,
    /// <summary>Entropy of the next-token distribution.</summary>
    Entropy,
    /// <summary>Log-probability of the target token minus that of the foil token.</summary>
    Contrastive,
}
