using FluentAttrib.Core.Metrics;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Monotonicity (Arya et al., 2019; Quantus's <c>Monotonicity</c>): starting from an input made entirely of the
/// substrate (of the original example), the features are put back in ascending order of attribution,
/// <c>FeaturesPerStep</c> at a time; the score is true when the target score never decreases along the way.
/// Returns a Bool tensor (B).
/// </summary>
/// <remarks>
/// <b>Quantus's quirk (the default):</b> Quantus 0.6.0 "puts back" each feature by setting it to the substrate again,
/// so the input never changes and the score is always true for a deterministic substrate. <c>QuantusQuirks(false)</c>
/// reinserts the original values (the paper's metric). Cost: with the quirk one forward pass per example; otherwise one
/// per step and example, batched.
/// </remarks>
public sealed record Monotonicity : AttributionMetric,
    IAttributionPreprocessingSetting, ISoftmaxSetting, ISubstrateSetting, IFeaturesPerStepSetting, IQuantusQuirksSetting, IInternalBatchSizeSetting
{
    private Monotonicity(SettingValues values) : base(values) { }

    /// <summary>Quantus's defaults: one feature per step, substrate minimum, normalized by the batch maximum, absolute values, softmax scores, Quantus's quirk.</summary>
    public static Monotonicity Default { get; } = new(new SettingValues
    {
        Normalization = AttributionNormalization.MaxOfBatch, Absolute = true, Softmax = true, Substrate = FluentAttrib.Substrate.Minimum,
        FeaturesPerStep = 1, QuantusQuirks = true,
    });

    /// <summary>The metric's settings, read back by name.</summary>
    public MethodSettings<Monotonicity> Settings => new(Values);

    /// <inheritdoc />
    public override string Describe() => $"Monotonicity({Values.FeaturesPerStep} per step, {Values.Substrate}{(Values.QuantusQuirks ? ", Quantus's quirk" : "")})";

    internal override Tensor Evaluate(MetricRequest request)
    {
        var v = Values;
        var data = PreparedBatch.Of(request, v, Name);
        var schedule = StepSchedule.Of(data, v, Name, descending: false);
        var scorer = new MetricScorer(request.Context, v.Softmax, Name, v.InternalBatchSize);
        using var substrate = MetricMath.ToTensor(schedule.Values, data.Input).to(data.Input.dtype).reshape(data.Input.shape);
        var result = new bool[data.Batch];
        if (v.QuantusQuirks)
        {
            // Every step sets features of the all-substrate input to the substrate again: one prediction repeated.
            var once = scorer.Scores(substrate);
            for (int b = 0; b < data.Batch; b++) result[b] = !double.IsNaN(once[b]);
        }
        else
        {
            // Start from the substrate and put the original values back, cumulatively.
            var curves = Perturbations.Curves(scorer, substrate, schedule.Rank, data.X, schedule.StepCounts, cumulative: true);
            for (int b = 0; b < data.Batch; b++)
            {
                bool ok = true;
                for (int k = 1; k < curves[b].Length; k++) ok &= curves[b][k] - curves[b][k - 1] >= 0;
                result[b] = ok;
            }
        }
        return tensor(result).to(data.Input.device);
    }
}
