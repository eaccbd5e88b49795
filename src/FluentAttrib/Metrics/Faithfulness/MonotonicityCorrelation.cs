using FluentAttrib.Core.Metrics;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Monotonicity correlation (Nguyen and Martínez, 2020; Quantus's <c>MonotonicityCorrelation</c>): the features, in
/// ascending order of attribution and <c>FeaturesPerStep</c> at a time, are each replaced alone by the substrate of
/// the original example; v_k = (y(x_k) − y(x))² / y(x)² (the weight is 1 where |y(x)| is below <c>Threshold</c>) and
/// s_k the group's summed attribution; the score is the similarity (Spearman by default) of s and v, one value per
/// example in [−1, 1]. Higher is better.
/// </summary>
/// <remarks>
/// Quantus's default substrate draws uniform random values and averages <c>nr_samples</c> draws; the substrates here
/// are deterministic (default <see cref="Substrate.Minimum"/>), so Quantus's repeated draws (<c>nr_samples</c>) would be
/// identical and one evaluation per group is made. Quantus also
/// refuses a batch in which any example has |y(x)| below the threshold; this metric weights such examples by 1 instead.
/// </remarks>
public sealed record MonotonicityCorrelation : AttributionMetric,
    IAttributionPreprocessingSetting, ISoftmaxSetting, ISubstrateSetting, IFeaturesPerStepSetting, ISimilaritySetting,
    IThresholdSetting, IInternalBatchSizeSetting
{
    private MonotonicityCorrelation(SettingValues values) : base(values) { }

    /// <summary>Quantus's defaults (substrate minimum instead of random uniform): one feature per step, Spearman, threshold 1e-5, normalized by the batch maximum, absolute values, softmax scores.</summary>
    public static MonotonicityCorrelation Default { get; } = new(new SettingValues
    {
        Normalization = AttributionNormalization.MaxOfBatch, Absolute = true, Softmax = true, Substrate = FluentAttrib.Substrate.Minimum,
        FeaturesPerStep = 1, Similarity = FluentAttrib.Similarity.Spearman, Threshold = Defaults.MetricThreshold,
    });

    /// <summary>The default metric removing <paramref name="features"/> features per step.</summary>
    public static MonotonicityCorrelation FeaturesPerStep(int features) => Default.FeaturesPerStep(features);

    /// <summary>The metric's settings, read back by name.</summary>
    public MethodSettings<MonotonicityCorrelation> Settings => new(Values);

    /// <inheritdoc />
    public override string Describe() => $"MonotonicityCorrelation({Values.FeaturesPerStep} per step, {Values.Substrate}, {Values.Similarity})";

    internal override Tensor Evaluate(MetricRequest request)
    {
        var v = Values;
        return GroupRemoval.Evaluate(request, v, Name, descending: false, (y, curve, sums) =>
        {
            double weight = Math.Abs(y) >= v.Threshold ? 1.0 / Math.Abs(y) : 1.0;
            weight *= weight;
            return MetricMath.Compare(v.Similarity, sums, curve.Select(s => (s - y) * (s - y) * weight).ToArray());
        });
    }
}
