using FluentAttrib.Core.Metrics;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Faithfulness estimate (Alvarez-Melis and Jaakkola, 2018; Quantus's <c>FaithfulnessEstimate</c>): the features, in
/// descending order of attribution and <c>FeaturesPerStep</c> at a time, are each replaced alone (not cumulatively)
/// by the substrate of the original example; the score is the similarity (Pearson by default) between each group's
/// summed attribution and the drop of the target score it causes, one value per example in [−1, 1]. Higher is better.
/// </summary>
/// <remarks>Cost: one forward pass per group and example, batched. Quantus scores logits by default (softmax off).</remarks>
public sealed record FaithfulnessEstimate : AttributionMetric,
    IAttributionPreprocessingSetting, ISoftmaxSetting, ISubstrateSetting, IFeaturesPerStepSetting, ISimilaritySetting, IInternalBatchSizeSetting
{
    private FaithfulnessEstimate(SettingValues values) : base(values) { }

    /// <summary>Quantus's defaults: one feature per step, substrate minimum, Pearson, normalized by the batch maximum, signed, logits.</summary>
    public static FaithfulnessEstimate Default { get; } = new(new SettingValues
    {
        Normalization = AttributionNormalization.MaxOfBatch, Absolute = false, Softmax = false, Substrate = FluentAttrib.Substrate.Minimum,
        FeaturesPerStep = 1, Similarity = FluentAttrib.Similarity.Pearson,
    });

    /// <summary>The default metric removing <paramref name="features"/> features per step.</summary>
    public static FaithfulnessEstimate FeaturesPerStep(int features) => Default.FeaturesPerStep(features);

    /// <summary>The metric's settings, read back by name.</summary>
    public MethodSettings<FaithfulnessEstimate> Settings => new(Values);

    /// <inheritdoc />
    public override string Describe() => $"FaithfulnessEstimate({Values.FeaturesPerStep} per step, {Values.Substrate}, {Values.Similarity})";

    internal override Tensor Evaluate(MetricRequest request)
    {
        var similarity = Values.Similarity;
        return GroupRemoval.Evaluate(request, Values, Name, descending: true,
            (y, curve, sums) => MetricMath.Compare(similarity, sums, curve.Select(s => y - s).ToArray()));
    }
}
