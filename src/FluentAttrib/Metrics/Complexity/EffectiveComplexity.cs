using FluentAttrib.Core.Metrics;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Effective complexity (Nguyen and Martínez, 2020; Quantus's <c>EffectiveComplexity</c>): the number of attribution
/// values (as given) strictly greater than <c>Threshold</c>, an Int64 tensor (B). Lower is better. No forward pass.
/// </summary>
public sealed record EffectiveComplexity : AttributionMetric, IAttributionPreprocessingSetting, IThresholdSetting
{
    private EffectiveComplexity(SettingValues values) : base(values) { }

    /// <summary>Quantus's defaults: threshold 1e-5, normalized by the batch maximum, absolute values.</summary>
    public static EffectiveComplexity Default { get; } = new(new SettingValues { Normalization = AttributionNormalization.MaxOfBatch, Absolute = true, Threshold = Defaults.MetricThreshold });

    /// <summary>The default metric with the threshold <paramref name="threshold"/>.</summary>
    public static EffectiveComplexity Threshold(double threshold) => Default.Threshold(threshold);

    /// <summary>The metric's settings, read back by name.</summary>
    public MethodSettings<EffectiveComplexity> Settings => new(Values);

    internal override bool HigherIsBetter => false;

    internal override Tensor Evaluate(MetricRequest request)
    {
        var a = MetricMath.Preprocess(request.Attribution, Values.Normalization, Values.Absolute);
        return tensor(a.Select(r => (long)r.Count(x => x > Values.Threshold)).ToArray()).to(request.Input.device);
    }
}
