using System.Collections.Immutable;
using static TorchSharp.torch;

namespace FluentAttrib.Text;

/// <summary>
/// Text whose interpretable features are its tokens (Captum's <c>TextTokenInput</c>). The model input is the
/// tokenizer's encoding with special tokens; every position whose token is not a skip token is a feature, in order
/// (so a beginning-of-sequence token is feature 0 unless it is skipped). An absent feature's id is replaced by the
/// baseline id (the length never changes); skipped tokens stay in the model input unchanged and are never reported.
/// A presence entry other than 1 means absent.
/// </summary>
public sealed class TextTokenInput : InterpretableText
{
    private readonly long[] _ids;
    private readonly int[] _positions;

    /// <summary>Tokenizes <paramref name="text"/> into token features.</summary>
    /// <param name="text">The text.</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="baseline">The token an absent feature becomes: an id (the default 0, whatever token has id 0) or a
    /// token string such as <c>"&lt;unk&gt;"</c>.</param>
    /// <param name="skipTokens">Tokens (ids or strings) that are not features, e.g. the beginning-of-sequence token.</param>
    public TextTokenInput(string text, ITextTokenizer tokenizer, TokenRef baseline = default, IEnumerable<TokenRef>? skipTokens = null)
        : base(tokenizer)
    {
        ArgumentNullException.ThrowIfNull(text);
        Text = text;
        _ids = tokenizer.Encode(text, addSpecialTokens: true).Select(i => (long)i).ToArray();
        if (_ids.Length == 0) throw new ArgumentException("The text encodes to no token.", nameof(text));
        BaselineId = baseline.Resolve(tokenizer);
        SkipTokenIds = (skipTokens ?? []).Select(t => t.Resolve(tokenizer)).Distinct().ToImmutableArray();
        var skip = SkipTokenIds.ToHashSet();
        _positions = Enumerable.Range(0, _ids.Length).Where(p => !skip.Contains((int)_ids[p])).ToArray();
        if (_positions.Length == 0)
            throw new ArgumentException($"Every token of \"{text}\" is a skip token; nothing is left to attribute.", nameof(skipTokens));
        Values = _positions.Select(p => tokenizer.IdToToken((int)_ids[p])).ToImmutableArray();
    }

    /// <summary>The text.</summary>
    public string Text { get; }

    /// <summary>The id an absent token becomes.</summary>
    public int BaselineId { get; }

    /// <summary>Ids that are never features.</summary>
    public IReadOnlyList<int> SkipTokenIds { get; }

    /// <summary>The model's token ids of the unperturbed text (special tokens included).</summary>
    public IReadOnlyList<long> TokenIds => _ids;

    /// <summary>For each feature, its position in <see cref="TokenIds"/>.</summary>
    public IReadOnlyList<int> FeaturePositions => _positions;

    /// <inheritdoc/>
    public override int FeatureCount => _positions.Length;

    /// <summary>The feature tokens as strings (<see cref="ITextTokenizer.IdToToken"/>).</summary>
    public override IReadOnlyList<string> Values { get; }

    /// <inheritdoc/>
    public override string ToText(Tensor? presence = null) =>
        presence is null ? Text : Tokenizer.Decode(TokenIdsOf(SingleRow(presence)).Select(i => (int)i));

    private protected override long[] TokenIdsOf(double[] presence)
    {
        var ids = (long[])_ids.Clone();
        for (int f = 0; f < _positions.Length; f++)
            if (presence[f] != 1.0) ids[_positions[f]] = BaselineId;
        return ids;
    }
}
