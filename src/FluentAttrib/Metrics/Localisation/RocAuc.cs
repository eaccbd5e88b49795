using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Area under the ROC curve of the attribution as a detector of the ground-truth mask (Fawcett, 2006; Quantus's
/// <c>AUC</c>): the probability that a position inside the mask has a higher attribution than one outside (ties count
/// half), one value per example in [0, 1]; NaN for an empty mask. Higher is better.
/// </summary>
public sealed record RocAuc : LocalisationMetric, IAttributionPreprocessingSetting
{
    private RocAuc(SettingValues values) : base(values) { }

    /// <summary>Quantus's defaults: normalized by the batch maximum, signed.</summary>
    public static RocAuc Default { get; } = new(new SettingValues { Normalization = AttributionNormalization.MaxOfBatch, Absolute = false });

    /// <summary>The metric's settings, read back by name.</summary>
    public MethodSettings<RocAuc> Settings => new(Values);

    internal override Tensor Evaluate(MetricRequest request)
    {
        var d = LocalisationData.Of(request, Values, Name);
        var scores = new double[d.A.Length];
        for (int b = 0; b < d.A.Length; b++)
        {
            // Mann–Whitney: sort by value, average ranks of ties, sum the ranks of the positives.
            var a = d.A[b];
            var ranks = Core.Metrics.MetricMath.Ranks(a);
            long positives = d.S[b].Count(x => x), negatives = a.Length - positives;
            double rankSum = 0;
            for (int i = 0; i < a.Length; i++) if (d.S[b][i]) rankSum += ranks[i];
            scores[b] = positives == 0 || negatives == 0 ? double.NaN
                : (rankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
        }
        return LocalisationData.Result(scores, request);
    }
}
