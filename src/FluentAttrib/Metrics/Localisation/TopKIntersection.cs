using FluentAttrib.Core.Metrics;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Top-k intersection (Theiner et al., 2021; Quantus's <c>TopKIntersection</c>): the share of the k highest-attributed
/// positions that lie inside the ground-truth mask, one value per example; with <see cref="ScaleByMaskSize"/>
/// multiplied by positions / mask size (Quantus's <c>concept_influence</c>). NaN for an empty mask. Higher is better.
/// </summary>
public sealed record TopKIntersection : LocalisationMetric, IAttributionPreprocessingSetting
{
    private TopKIntersection(SettingValues values) : base(values) { }

    /// <summary>Quantus's defaults: k = 1000, not scaled, normalized by the batch maximum, signed.</summary>
    public static TopKIntersection Default { get; } = new(new SettingValues { Normalization = AttributionNormalization.MaxOfBatch, Absolute = false, TopK = Defaults.TopK });

    /// <summary>The metric's settings, read back by name.</summary>
    public MethodSettings<TopKIntersection> Settings => new(Values);

    /// <summary>How many of the highest-attributed positions are checked (Quantus's <c>k</c>); fewer than the positions of an example.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is less than 1.</exception>
    public TopKIntersection TopK(int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        return this with { Values = Values with { TopK = k } };
    }

    /// <summary>Multiplies the share by positions / mask size (Quantus's <c>concept_influence</c>).</summary>
    public TopKIntersection ScaleByMaskSize(bool scale = true) => this with { Values = Values with { ScaleByMaskSize = scale } };

    /// <inheritdoc />
    public override string Describe() => $"TopKIntersection(k {Values.TopK}{(Values.ScaleByMaskSize ? ", scaled by mask size" : "")})";

    internal override Tensor Evaluate(MetricRequest request)
    {
        var d = LocalisationData.Of(request, Values, Name);
        int k = Values.TopK;
        if (k >= d.Size)
            throw new ArgumentException($"{Name}: k = {k} must be less than the {d.Size} positions of an example.", "topK");
        var scores = new double[d.A.Length];
        for (int b = 0; b < d.A.Length; b++)
        {
            int maskSize = d.S[b].Count(x => x);
            var order = MetricMath.Descending(d.A[b]);
            double share = order.Take(k).Count(i => d.S[b][i]) / (double)k;
            if (Values.ScaleByMaskSize) share *= d.Size / (double)maskSize;
            scores[b] = maskSize == 0 ? double.NaN : share;
        }
        return LocalisationData.Result(scores, request);
    }
}

public static partial class MethodSettingReadBack
{
    extension(MethodSettings<TopKIntersection> settings)
    {
        /// <summary>How many of the highest-attributed positions are checked.</summary>
        public int TopK => settings.Values.TopK;

        /// <summary>Whether the share is multiplied by positions / mask size.</summary>
        public bool ScaleByMaskSize => settings.Values.ScaleByMaskSize;
    }
}
