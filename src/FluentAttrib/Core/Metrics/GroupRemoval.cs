using static TorchSharp.torch;

namespace FluentAttrib.Core.Metrics;

/// <summary>
/// Groups of <c>FeaturesPerStep</c> features in attribution order, each replaced by the substrate of the original
/// example (Quantus's "from the original x" metrics: Monotonicity, MonotonicityCorrelation, FaithfulnessEstimate).
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

/// <summary>
/// The loop FaithfulnessEstimate and MonotonicityCorrelation share: each group of the <see cref="StepSchedule"/>
/// replaced alone, the target score before and after each replacement, and one number per example from them.
/// </summary>
internal static class GroupRemoval
{
    /// <summary>
    /// Scores every example: <paramref name="score"/>(y(x), the score with each group replaced alone, each group's
    /// summed attribution), groups in descending (or ascending) order of attribution. Returns Float64 (B).
    /// </summary>
    public static Tensor Evaluate(MetricRequest request, SettingValues v, string metric, bool descending,
        Func<double, double[], double[], double> score)
    {
        var data = PreparedBatch.Of(request, v, metric);
        var schedule = StepSchedule.Of(data, v, metric, descending);
        var scorer = new MetricScorer(request.Context, v.Softmax, metric, v.InternalBatchSize);
        var original = scorer.Scores(data.Input);
        var curves = Perturbations.Curves(scorer, data.Input, schedule.Rank, schedule.Values, schedule.StepCounts, cumulative: false);
        var scores = new double[data.Batch];
        for (int b = 0; b < data.Batch; b++) scores[b] = score(original[b], curves[b], schedule.AttributionSums[b]);
        return MetricMath.ToTensor(scores, data.Input);
    }
}
