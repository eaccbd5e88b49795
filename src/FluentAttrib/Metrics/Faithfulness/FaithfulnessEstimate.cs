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
        var v = Values;
        var data = PreparedBatch.Of(request, v, Name);
        var schedule = StepSchedule.Of(data, v, Name, descending: true);
        var scorer = new MetricScorer(request.Context, v.Softmax, Name, v.InternalBatchSize);
        var original = scorer.Scores(data.Input);
        var curves = Perturbations.Curves(scorer, data.Input, schedule.Rank, schedule.Values, schedule.StepCounts, cumulative: false);
        var scores = new double[data.Batch];
        for (int b = 0; b < data.Batch; b++)
        {
            var drops = curves[b].Select(s => original[b] - s).ToArray();
            scores[b] = MetricMath.Compare(v.Similarity, schedule.AttributionSums[b], drops);
        }
        return MetricMath.ToTensor(scores, data.Input);
    }
}

/// <summary>
/// Groups of <c>FeaturesPerStep</c> features in attribution order, each replaced by the substrate of the original
/// example (Quantus's "from the original x" metrics).
/// </summary>
internal sealed class StepSchedule
{
    public required int[][] Rank { get; init; }
    public required double[][] Values { get; init; }
    public required int[] StepCounts { get; init; }
    public required double[][] AttributionSums { get; init; }

    public static StepSchedule Of(PreparedBatch data, SettingValues v, string metric, bool descending)
    {
        int n = data.Elements, fis = v.FeaturesPerStep;
        int steps = (n + fis - 1) / fis;
        var field = v.Substrate.IsStatistic || v.Substrate.Kind == Substrate.SubstrateKind.Constant ? null : Perturbations.FieldValues(data.Input, v.Substrate);
        var rank = new int[data.Batch][];
        var values = new double[data.Batch][];
        var sums = new double[data.Batch][];
        for (int b = 0; b < data.Batch; b++)
        {
            var order = descending ? MetricMath.Descending(data.A[b]) : MetricMath.Ascending(data.A[b]);
            rank[b] = new int[n];
            sums[b] = new double[steps];
            for (int j = 0; j < n; j++)
            {
                rank[b][order[j]] = j / fis;
                sums[b][j / fis] += data.A[b][order[j]];
            }
            values[b] = field?[b] ?? Perturbations.OriginalValues(data.X[b], v.Substrate);
        }
        return new StepSchedule { Rank = rank, Values = values, StepCounts = Enumerable.Repeat(steps, data.Batch).ToArray(), AttributionSums = sums };
    }
}
