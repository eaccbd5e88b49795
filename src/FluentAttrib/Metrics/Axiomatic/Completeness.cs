using FluentAttrib.Core.Metrics;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Completeness (Sundararajan et al., 2017; Quantus's <c>Completeness</c>): true when the attribution (as given, summed)
/// equals y(x) − y(x′) exactly, where x′ has every element replaced by the substrate of the original example. Returns a
/// Bool tensor (B). Exact floating-point equality by default, as Quantus: with the default normalization it is practically
/// always false; use <c>Normalization(None)</c> and an exact method. Exact equality also depends on the two forward
/// passes rounding alike, which a multi-threaded network does not promise: <c>Threshold(t)</c> counts
/// |Σa − (y(x) − y(x′))| ≤ t as complete.
/// </summary>
public sealed record Completeness : AttributionMetric, IAttributionPreprocessingSetting, ISoftmaxSetting, ISubstrateSetting, IThresholdSetting
{
    private Completeness(SettingValues values) : base(values) { }

    /// <summary>Quantus's defaults: substrate minimum, normalized by the batch maximum, signed, logits, exact equality (threshold 0).</summary>
    public static Completeness Default { get; } = new(new SettingValues
    {
        Normalization = AttributionNormalization.MaxOfBatch, Absolute = false, Softmax = false, Substrate = FluentAttrib.Substrate.Minimum,
        Threshold = 0,
    });

    /// <summary>The metric's settings, read back by name.</summary>
    public MethodSettings<Completeness> Settings => new(Values);

    internal override Tensor Evaluate(MetricRequest request)
    {
        var v = Values;
        var input = request.Input;
        if (!input.is_floating_point()) throw new ArgumentException($"{Name} replaces the input, which must be floating point, not {input.dtype}.", "input");
        var a = MetricMath.Preprocess(request.Attribution, v.Normalization, v.Absolute);
        var x = MetricMath.Rows(input);
        var field = v.Substrate.IsStatistic || v.Substrate.Kind == Substrate.SubstrateKind.Constant ? null : Perturbations.FieldValues(input, v.Substrate);
        var baseline = x.Select((row, b) => field?[b] ?? Perturbations.OriginalValues(row, v.Substrate)).ToArray();
        var scorer = new MetricScorer(request.Context, v.Softmax, Name);
        var original = scorer.Scores(input);
        using var reference = MetricMath.ToTensor(baseline, input).to(input.dtype).reshape(input.shape);
        var replaced = scorer.Scores(reference);
        var result = new bool[x.Length];
        for (int b = 0; b < x.Length; b++)
        {
            double sum = 0;
            foreach (var value in a[b]) sum += value;
            double change = original[b] - replaced[b];
            result[b] = v.Threshold == 0 ? sum == change : Math.Abs(sum - change) <= v.Threshold;
        }
        return tensor(result).to(input.device);
    }
}
