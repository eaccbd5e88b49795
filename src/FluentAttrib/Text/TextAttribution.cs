using System.Globalization;
using System.Text;
using static TorchSharp.torch;

namespace FluentAttrib.Text;

/// <summary>
/// What a language model's target owes to each input feature (Captum's <c>LLMAttributionResult</c>):
/// <see cref="TokenAttribution"/> has one row per target token and one column per input feature,
/// <see cref="SequenceAttribution"/> one value per input feature for the whole target; plus Inseq's step scores of
/// the target on the unperturbed prompt. Dispose it to free its tensors.
/// </summary>
public sealed class TextAttribution : IDisposable
{
    private bool _disposed;

    internal TextAttribution(IReadOnlyList<string> inputTokens, IReadOnlyList<string> outputTokens, IReadOnlyList<long> targetIds,
        Tensor sequence, Tensor? perToken, Tensor probabilities, Tensor entropies, string method, TokenScore score)
    {
        InputTokens = inputTokens;
        OutputTokens = outputTokens;
        TargetTokenIds = targetIds;
        SequenceAttribution = sequence;
        TokenAttribution = perToken;
        Probabilities = probabilities;
        Entropies = entropies;
        Method = method;
        Score = score;
    }

    /// <summary>One label per input feature (column): tokens of a <see cref="TextTokenInput"/>, values of a <see cref="TextTemplateInput"/>.</summary>
    public IReadOnlyList<string> InputTokens { get; }

    /// <summary>One label per target token (row).</summary>
    public IReadOnlyList<string> OutputTokens { get; }

    /// <summary>The target token ids that were attributed (given, after skip tokens, or generated).</summary>
    public IReadOnlyList<long> TargetTokenIds { get; }

    /// <summary>Attribution of the whole target's score (sum of the log-probabilities, or their product for
    /// probabilities), shape (input features). float32 for perturbation methods (as Captum), the model's dtype for
    /// gradient methods.</summary>
    public Tensor SequenceAttribution { get; }

    /// <summary>Attribution of each target token's score, shape (target tokens, input features); null for Lime and
    /// KernelShap, which fit one surrogate for the sequence (as Captum).</summary>
    public Tensor? TokenAttribution { get; }

    /// <summary>Inseq's <c>probability</c> step score: p(yₖ | prompt, y₍&lt;k₎) of each target token on the unperturbed prompt (float64).</summary>
    public Tensor Probabilities { get; }

    /// <summary>Inseq's <c>entropy</c> step score: entropy of the next-token distribution at each target step (float64, nats).</summary>
    public Tensor Entropies { get; }

    /// <summary>The method as it ran.</summary>
    public string Method { get; }

    /// <summary>The attributed score.</summary>
    public TokenScore Score { get; }

    /// <summary>The sequence attribution by input label (Captum's <c>seq_attr_dict</c>; a repeated label keeps its last value).</summary>
    public IReadOnlyDictionary<string, double> SequenceAttributionByToken
    {
        get
        {
            var values = SequenceAttribution.to(ScalarType.Float64, CPU).data<double>().ToArray();
            var map = new Dictionary<string, double>();
            for (int i = 0; i < values.Length; i++) map[InputTokens[i]] = values[i];
            return map;
        }
    }

    /// <summary>A text table: the target tokens as rows, the input features as columns, then the sequence total.</summary>
    /// <param name="digits">Decimals shown.</param>
    public string ToText(int digits = 3)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(digits);
        string format = "F" + digits.ToString(CultureInfo.InvariantCulture);
        var header = new List<string> { "" };
        header.AddRange(InputTokens);
        var rows = new List<List<string>> { header };
        double[] Row(Tensor t) => t.to(ScalarType.Float64, CPU).data<double>().ToArray();
        if (TokenAttribution is { } tokens)
            for (int i = 0; i < OutputTokens.Count; i++)
                rows.Add([OutputTokens[i], .. Row(tokens[i]).Select(v => v.ToString(format, CultureInfo.InvariantCulture))]);
        rows.Add(["(sequence)", .. Row(SequenceAttribution).Select(v => v.ToString(format, CultureInfo.InvariantCulture))]);
        var widths = Enumerable.Range(0, header.Count).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var sb = new StringBuilder();
        foreach (var r in rows)
            sb.AppendLine(string.Join("  ", r.Select((cell, c) => c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))).TrimEnd());
        return sb.ToString();
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Method}: {OutputTokens.Count} target token(s) × {InputTokens.Count} input feature(s){(_disposed ? " (disposed)" : "")}";

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        SequenceAttribution.Dispose();
        TokenAttribution?.Dispose();
        Probabilities.Dispose();
        Entropies.Dispose();
    }
}
