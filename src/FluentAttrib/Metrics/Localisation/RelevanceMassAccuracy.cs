using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Relevance mass accuracy (Arras et al., 2021; Quantus's <c>RelevanceMassAccuracy</c>): the share of the attribution
/// inside the ground-truth mask, Σ(a·s) / Σa (signed unless <c>Absolute</c>), one value per example; NaN for an empty mask.
/// Higher is better.
/// </summary>
public sealed record RelevanceMassAccuracy : LocalisationMetric, IAttributionPreprocessingSetting
{
    private RelevanceMassAccuracy(SettingValues values) : base(values) { }

    /// <summary>Quantus's defaults: normalized by the batch maximum, signed.</summary>
    public static RelevanceMassAccuracy Default { get; } = new(new SettingValues { Normalization = AttributionNormalization.MaxOfBatch, Absolute = false });

    /// <summary>The metric's settings, read back by name.</summary>
    public MethodSettings<RelevanceMassAccuracy> Settings => new(Values);

    internal override Tensor Evaluate(MetricRequest request)
    {
        var d = LocalisationData.Of(request, Values, Name);
        var scores = new double[d.A.Length];
        for (int b = 0; b < d.A.Length; b++)
        {
            double inside = 0, total = 0;
            bool any = false;
            for (int i = 0; i < d.Size; i++)
            {
                total += d.A[b][i];
                if (d.S[b][i]) { inside += d.A[b][i]; any = true; }
            }
            scores[b] = any ? inside / total : double.NaN;
        }
        return LocalisationData.Result(scores, request);
    }
}
