using FluentAttrib.Core.Metrics;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Complexity (Bhatt et al., 2020; Quantus's <c>Complexity</c>): the entropy of the attribution's share per position,
/// q = a / Σ|a|, −Σ q·ln(q + 1e-12), one value per example. Lower is better. No forward pass.
/// </summary>
public sealed record Complexity : AttributionMetric, IAttributionPreprocessingSetting
{
    private Complexity(SettingValues values) : base(values) { }

    /// <summary>Quantus's defaults: normalized by the batch maximum, absolute values.</summary>
    public static Complexity Default { get; } = new(new SettingValues { Normalization = AttributionNormalization.MaxOfBatch, Absolute = true });

    /// <summary>The metric's settings, read back by name.</summary>
    public MethodSettings<Complexity> Settings => new(Values);

    internal override bool HigherIsBetter => false;

    internal override Tensor Evaluate(MetricRequest request)
    {
        var a = MetricMath.Preprocess(request.Attribution, Values.Normalization, Values.Absolute);
        var scores = a.Select(row =>
        {
            double total = row.Sum(Math.Abs), entropy = 0;
            foreach (var x in row)
            {
                double q = x / total;
                entropy -= q * Math.Log(q + 1e-12);
            }
            return entropy;
        }).ToArray();
        return MetricMath.ToTensor(scores, request.Input);
    }
}
