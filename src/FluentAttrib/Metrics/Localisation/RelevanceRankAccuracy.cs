using FluentAttrib.Core.Metrics;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Relevance rank accuracy (Arras et al., 2021; Quantus's <c>RelevanceRankAccuracy</c>): with K the mask's size, the
/// share of the K highest-attributed positions that lie inside the mask, one value per example; NaN for an empty mask.
/// Higher is better.
/// </summary>
public sealed record RelevanceRankAccuracy : LocalisationMetric, IAttributionPreprocessingSetting
{
    private RelevanceRankAccuracy(SettingValues values) : base(values) { }

    /// <summary>Quantus's defaults: normalized by the batch maximum, signed.</summary>
    public static RelevanceRankAccuracy Default { get; } = new(new SettingValues { Normalization = AttributionNormalization.MaxOfBatch, Absolute = false });

    /// <summary>The metric's settings, read back by name.</summary>
    public MethodSettings<RelevanceRankAccuracy> Settings => new(Values);

    internal override Tensor Evaluate(MetricRequest request)
    {
        var d = LocalisationData.Of(request, Values, Name);
        var scores = new double[d.A.Length];
        for (int b = 0; b < d.A.Length; b++)
        {
            int k = d.S[b].Count(x => x);
            var order = MetricMath.Descending(d.A[b]);
            scores[b] = k == 0 ? double.NaN : order.Take(k).Count(i => d.S[b][i]) / (double)k;
        }
        return LocalisationData.Result(scores, request);
    }
}
