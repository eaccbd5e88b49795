using FluentAttrib.Core.Metrics;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Max-sensitivity (Yeh et al., 2019; Quantus's <c>MaxSensitivity</c>): <c>Samples</c> times, every input element is
/// perturbed by uniform noise in [−<c>Radius</c>, <c>Radius</c>] and the run's method explains the perturbed input
/// again; the score is the largest ‖a − e′‖ / ‖a‖ over the samples (attributions preprocessed as the metric says,
/// batch-wide), one value per example. Lower is better. Run it with
/// <c>Explain(model).For(target).With(method).Evaluate(MaxSensitivity.Default, input, attribution)</c>.
/// For Captum's <c>sensitivity_max</c> see <see cref="SensitivityMax"/>.
/// </summary>
/// <remarks>Random: set <c>Seed</c> for repeatable noise. Cost: one attribution of the batch per sample.</remarks>
public sealed record MaxSensitivity : ExplanationMetric,
    IAttributionPreprocessingSetting, ISamplesSetting, IRadiusSetting, ISeedSetting
{
    private MaxSensitivity(SettingValues values) : base(values) { }

    /// <summary>Quantus's defaults: 200 samples, radius 0.2, attributions as given (no normalization, signed).</summary>
    public static MaxSensitivity Default { get; } = new(new SettingValues
    {
        Normalization = AttributionNormalization.None, Absolute = false, Samples = Defaults.SensitivitySamples, Radius = Defaults.SensitivityNoiseRadius,
    });

    /// <summary>The default metric with <paramref name="samples"/> perturbed inputs per example.</summary>
    public static MaxSensitivity Samples(int samples) => Default.Samples(samples);

    /// <summary>The metric's settings, read back by name.</summary>
    public MethodSettings<MaxSensitivity> Settings => new(Values);

    /// <inheritdoc />
    public override string Describe() => $"MaxSensitivity({Values.Samples} samples, radius {Values.Radius})";

    internal override bool HigherIsBetter => false;

    internal override Tensor Evaluate(MetricRequest request) => Sensitivity.Evaluate(request, Values, Name, max: true);
}

/// <summary>
/// Average sensitivity (Yeh et al., 2019; Quantus's <c>AvgSensitivity</c>): as <see cref="MaxSensitivity"/>, with the
/// mean of ‖a − e′‖ / ‖a‖ over the samples instead of the largest. Lower is better.
/// </summary>
public sealed record AvgSensitivity : ExplanationMetric,
    IAttributionPreprocessingSetting, ISamplesSetting, IRadiusSetting, ISeedSetting
{
    private AvgSensitivity(SettingValues values) : base(values) { }

    /// <summary>Quantus's defaults: 200 samples, radius 0.2, attributions as given (no normalization, signed).</summary>
    public static AvgSensitivity Default { get; } = new(new SettingValues
    {
        Normalization = AttributionNormalization.None, Absolute = false, Samples = Defaults.SensitivitySamples, Radius = Defaults.SensitivityNoiseRadius,
    });

    /// <summary>The default metric with <paramref name="samples"/> perturbed inputs per example.</summary>
    public static AvgSensitivity Samples(int samples) => Default.Samples(samples);

    /// <summary>The metric's settings, read back by name.</summary>
    public MethodSettings<AvgSensitivity> Settings => new(Values);

    /// <inheritdoc />
    public override string Describe() => $"AvgSensitivity({Values.Samples} samples, radius {Values.Radius})";

    internal override bool HigherIsBetter => false;

    internal override Tensor Evaluate(MetricRequest request) => Sensitivity.Evaluate(request, Values, Name, max: false);
}

internal static class Sensitivity
{
    public static Tensor Evaluate(MetricRequest request, SettingValues v, string metric, bool max)
    {
        var input = request.Input;
        if (!input.is_floating_point()) throw new ArgumentException($"{metric} perturbs the input, which must be floating point, not {input.dtype}.", "input");
        var a = MetricMath.Preprocess(request.Attribution, v.Normalization, v.Absolute);
        var norms = a.Select(r => Math.Sqrt(r.Sum(x => x * x))).ToArray();
        using var generator = v.Seed is { } seed ? new Generator(unchecked((ulong)seed), input.device) : null;
        int batch = a.Length;
        var values = new double[batch][];
        for (int b = 0; b < batch; b++) values[b] = new double[v.Samples];
        var ctx = request.Context;
        for (int s = 0; s < v.Samples; s++)
        {
            ctx.ThrowIfCancelled();
            using var scope = NewDisposeScope();
            var perturbed = input + empty_like(input).uniform_(-v.Radius, v.Radius, generator);
            var e = Reexplanation.Explain(request, perturbed, ctx.Target, v);
            for (int b = 0; b < batch; b++)
            {
                double d = 0;
                for (int i = 0; i < a[b].Length; i++) d += (a[b][i] - e[b][i]) * (a[b][i] - e[b][i]);
                values[b][s] = Math.Sqrt(d) / norms[b];
            }
            ctx.Report(metric, s + 1, v.Samples);
        }
        var result = values.Select(r =>
        {
            var finite = r.Where(x => !double.IsNaN(x)).ToArray();
            return finite.Length == 0 ? double.NaN : max ? finite.Max() : finite.Average();
        }).ToArray();
        return MetricMath.ToTensor(result, input);
    }
}

public static partial class MethodSettingReadBack
{
    extension(MethodSettings<MaxSensitivity> settings)
    {
        /// <summary>Half-width of the uniform noise.</summary>
        public double Radius => settings.Values.Radius;
    }

    extension(MethodSettings<AvgSensitivity> settings)
    {
        /// <summary>Half-width of the uniform noise.</summary>
        public double Radius => settings.Values.Radius;
    }
}
