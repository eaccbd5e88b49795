using System.Collections.Immutable;
using System.Globalization;
using static TorchSharp.torch;

namespace FluentAttrib.Plotting;

/// <summary>How token attributions are scaled before coloring (colors saturate at ±1).</summary>
public enum TextScaling
{
    /// <summary>Use the values as given (Captum's <c>visualize_text</c> does no scaling).</summary>
    AsGiven,

    /// <summary>Divide by the L2 norm of all token attributions, as Captum's tutorials do before <c>visualize_text</c>.</summary>
    L2Norm,

    /// <summary>Divide by the largest magnitude, so the strongest token gets the full color.</summary>
    MaxAbsolute,
}

/// <summary>
/// One row of a text figure (Captum's <c>VisualizationDataRecord</c>): tokens, one attribution per token (colors
/// saturate at ±1), and the optional labels shown beside them.
/// </summary>
public sealed record TextRecord
{
    /// <summary>Creates a record.</summary>
    /// <exception cref="AttributionShapeException">No tokens, or a different number of attributions.</exception>
    /// <exception cref="NonFiniteValuesException">An attribution is NaN or infinite.</exception>
    public TextRecord(IReadOnlyList<string> tokens, IReadOnlyList<double> attributions)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(attributions);
        if (tokens.Count == 0) throw new AttributionShapeException("There are no tokens to show.");
        if (tokens.Any(t => t is null)) throw new ArgumentNullException(nameof(tokens), "A token is null.");
        if (attributions.Count != tokens.Count)
            throw new AttributionShapeException($"There are {tokens.Count} tokens but {attributions.Count} attributions; give one attribution per token.");
        for (int i = 0; i < attributions.Count; i++)
            if (!double.IsFinite(attributions[i]))
                throw new NonFiniteValuesException($"The attribution of token {i} ('{tokens[i]}') is {attributions[i]}; only finite values can be drawn.");
        Tokens = tokens.ToImmutableArray();
        Attributions = attributions.ToImmutableArray();
    }

    /// <summary>The tokens, in order. Shown escaped: a token is never markup.</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>One attribution per token; −1 is full red, 0 white, 1 full green.</summary>
    public IReadOnlyList<double> Attributions { get; }

    /// <summary>The true label, or null.</summary>
    public string? TrueLabel { get; init; }

    /// <summary>The predicted label, or null.</summary>
    public string? PredictedLabel { get; init; }

    /// <summary>The probability of the predicted label, or null.</summary>
    public double? PredictedProbability { get; init; }

    /// <summary>The label the attributions explain (the target), or null.</summary>
    public string? AttributionLabel { get; init; }

    /// <summary>A summary score of the attributions (e.g. their sum), or null.</summary>
    public double? AttributionScore { get; init; }

    internal ImmutableArray<string> Notes { get; init; } = [];

    internal string PredictedText => PredictedLabel is null
        ? ""
        : PredictedProbability is { } p
            ? string.Create(CultureInfo.InvariantCulture, $"{PredictedLabel} ({p:0.00})")
            : PredictedLabel;

    internal string ScoreText => AttributionScore is { } s ? s.ToString("0.00", CultureInfo.InvariantCulture) : "";

    /// <summary>Builds a record from a (T), (1, T), (T, E) or (1, T, E) attribution tensor.</summary>
    internal static TextRecord FromTensor(Tensor attribution, IReadOnlyList<string> tokens, TextScaling scaling)
    {
        if (!Enum.IsDefined(scaling)) throw new ArgumentOutOfRangeException(nameof(scaling), scaling, "Unknown text scaling.");
        var data = TensorData.Read(attribution, "the token attribution");
        int t = tokens.Count;
        double[] perToken = data.Rank switch
        {
            1 => data.Values,
            2 when data.Shape[0] == 1 && data.Shape[1] == t => data.Values,
            2 when data.Shape[0] == t => AttributionNormalization.SumChannels(data.Values, checked((int)data.Shape[1])),
            3 when data.Shape[0] == 1 && data.Shape[1] == t => AttributionNormalization.SumChannels(data.Values, checked((int)data.Shape[2])),
            _ => throw new AttributionShapeException(
                $"The token attribution has shape {data.ShapeText} but there are {t} tokens; expected (T), (1, T), (T, E) or (1, T, E) with T = {t}."),
        };
        if (perToken.Length != t)
            throw new AttributionShapeException($"The token attribution has {perToken.Length} values (shape {data.ShapeText}) but there are {t} tokens.");
        double score = perToken.Sum();
        double divisor = scaling switch
        {
            TextScaling.L2Norm => Math.Sqrt(perToken.Sum(v => v * v)),
            TextScaling.MaxAbsolute => perToken.Max(Math.Abs),
            _ => 1,
        };
        var notes = ImmutableArray<string>.Empty;
        double[] scaled = perToken;
        if (divisor > 0) scaled = perToken.Select(v => v / divisor).ToArray();
        if (perToken.All(v => v == 0)) notes = ["All attributions are zero: nothing to show."];
        else if (scaling != TextScaling.AsGiven && divisor < AttributionNormalization.TinyThreshold)
            notes = [string.Create(CultureInfo.InvariantCulture, $"Largest |attribution| is only {perToken.Max(Math.Abs):0.##e+0}: colors stretch tiny values.")];
        return new TextRecord(tokens, scaled) { AttributionScore = score, Notes = notes };
    }
}
