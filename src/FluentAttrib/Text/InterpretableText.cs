using static TorchSharp.torch;

namespace FluentAttrib.Text;

/// <summary>
/// Text whose interpretable features are pieces of it (Captum's <c>InterpretableInput</c>): tokens
/// (<see cref="TextTokenInput"/>) or template segments (<see cref="TextTemplateInput"/>). Its interpretable
/// representation is a presence vector, one entry per feature (1 = present, 0 = absent, i.e. replaced by its
/// baseline); attribution methods perturb that vector, and the input turns each perturbed vector back into text or
/// token ids for the model.
/// </summary>
public abstract class InterpretableText
{
    private protected InterpretableText(ITextTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        Tokenizer = tokenizer;
    }

    /// <summary>The tokenizer that turns this text into model input.</summary>
    public ITextTokenizer Tokenizer { get; }

    /// <summary>Number of interpretable features: entries of the presence vector (Captum's <c>n_itp_features</c>).</summary>
    public abstract int FeatureCount { get; }

    /// <summary>What each attribution column stands for after <see cref="FormatAttribution"/>: the tokens of a
    /// <see cref="TextTokenInput"/>, the values of a <see cref="TextTemplateInput"/> (Captum's <c>values</c>, shown as
    /// the result's input tokens).</summary>
    public abstract IReadOnlyList<string> Values { get; }

    /// <summary>The presence vector of the unperturbed text: ones of shape (1, <see cref="FeatureCount"/>) (Captum's <c>to_tensor</c>).</summary>
    /// <param name="dtype">Element type; float32 unless given.</param>
    /// <param name="device">Device; CPU unless given.</param>
    public Tensor ToTensor(ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        ones([1, FeatureCount], dtype: dtype, device: device);

    /// <summary>The text the model reads for one presence vector (null = all present).</summary>
    /// <param name="presence">A presence vector of shape (<see cref="FeatureCount"/>) or (1, <see cref="FeatureCount"/>), or null.</param>
    public abstract string ToText(Tensor? presence = null);

    /// <summary>The model's token ids (special tokens included) for each row of <paramref name="presence"/>
    /// (null = one unperturbed row). Rows of a template input can differ in length (a removed value removes tokens).</summary>
    /// <param name="presence">Presence vectors of shape (k, <see cref="FeatureCount"/>) or (<see cref="FeatureCount"/>), or null.</param>
    public IReadOnlyList<long[]> ToTokenIds(Tensor? presence = null)
    {
        var rows = PresenceRows(presence);
        return rows.Select(TokenIdsOf).ToArray();
    }

    /// <summary>The model input for the presence vectors (Captum's <c>to_model_input</c>, tokenized): an int64 tensor
    /// (k, L) of token ids on <paramref name="presence"/>'s device. Throws when the rows differ in length; pad them with
    /// <see cref="Pad"/> instead.</summary>
    /// <param name="presence">Presence vectors of shape (k, <see cref="FeatureCount"/>), or null for the unperturbed text.</param>
    public Tensor ToModelInput(Tensor? presence = null)
    {
        var rows = ToTokenIds(presence);
        if (rows.Any(r => r.Length != rows[0].Length))
            throw new ArgumentException(
                $"The perturbed texts have different numbers of tokens ({string.Join(", ", rows.Select(r => r.Length).Distinct())}); use ToTokenIds and Pad.", nameof(presence));
        var ids = tensor(rows.SelectMany(r => r).ToArray(), [rows.Count, rows[0].Length], ScalarType.Int64);
        return presence is null || presence.device.type == TorchSharp.DeviceType.CPU ? ids : ids.to(presence.device);
    }

    /// <summary>Attribution of the interpretable features (last dimension <see cref="FeatureCount"/>) spread to one
    /// column per entry of <see cref="Values"/> (Captum's <c>format_attr</c>): grouped template values each get their
    /// group's attribution.</summary>
    /// <param name="attribution">A tensor whose last dimension has <see cref="FeatureCount"/> entries.</param>
    public virtual Tensor FormatAttribution(Tensor attribution)
    {
        CheckAttribution(attribution);
        return attribution.alias();
    }

    /// <summary>Right- (or left-) pads token id rows of different lengths into one batch.</summary>
    /// <param name="rows">Token id rows.</param>
    /// <param name="paddingId">The id written into padding positions.</param>
    /// <param name="padLeft">Pad on the left (decoder models reading the last position) instead of the right.</param>
    /// <returns>The ids (k, L) and an attention mask (k, L) of ones on real tokens and zeros on padding, both int64.</returns>
    public static (Tensor Ids, Tensor AttentionMask) Pad(IReadOnlyList<long[]> rows, long paddingId, bool padLeft = false)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0) throw new ArgumentException("Give at least one row.", nameof(rows));
        int length = rows.Max(r => (r ?? throw new ArgumentException("A row is null.", nameof(rows))).Length);
        var ids = new long[rows.Count * length];
        var mask = new long[rows.Count * length];
        for (int i = 0; i < rows.Count; i++)
        {
            int offset = i * length + (padLeft ? length - rows[i].Length : 0);
            for (int j = 0; j < length; j++) ids[i * length + j] = paddingId;
            for (int j = 0; j < rows[i].Length; j++)
            {
                ids[offset + j] = rows[i][j];
                mask[offset + j] = 1;
            }
        }
        return (tensor(ids, [rows.Count, length], ScalarType.Int64), tensor(mask, [rows.Count, length], ScalarType.Int64));
    }

    private protected abstract long[] TokenIdsOf(double[] presence);

    private protected void CheckAttribution(Tensor attribution)
    {
        ArgumentNullException.ThrowIfNull(attribution);
        if (attribution.dim() == 0 || attribution.shape[^1] != FeatureCount)
            throw new ArgumentException(
                $"The attribution has shape ({string.Join(", ", attribution.shape)}); its last dimension must have the {FeatureCount} interpretable features.", nameof(attribution));
    }

    /// <summary>The rows of a presence tensor as host arrays (one host read per call).</summary>
    private protected double[][] PresenceRows(Tensor? presence)
    {
        if (presence is null) return [Enumerable.Repeat(1.0, FeatureCount).ToArray()];
        if (presence.IsInvalid) throw new ArgumentException("The presence tensor was disposed.", nameof(presence));
        if (presence.dim() is < 1 or > 2 || presence.shape[^1] != FeatureCount)
            throw new ArgumentException(
                $"The presence tensor has shape ({string.Join(", ", presence.shape)}); expected ({FeatureCount}) or (k, {FeatureCount}): one entry per interpretable feature.", nameof(presence));
        using var host = presence.detach().to(ScalarType.Float64, CPU).reshape(-1, FeatureCount);
        var flat = host.data<double>().ToArray();
        var rows = new double[host.shape[0]][];
        for (int i = 0; i < rows.Length; i++) rows[i] = flat.AsSpan(i * FeatureCount, FeatureCount).ToArray();
        return rows;
    }

    private protected double[] SingleRow(Tensor? presence)
    {
        var rows = PresenceRows(presence);
        if (rows.Length != 1) throw new ArgumentException($"Give one presence vector; {rows.Length} rows were given.", nameof(presence));
        return rows[0];
    }
}
