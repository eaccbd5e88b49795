using FluentAttrib.Core.Metrics;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Non-sensitivity (Nguyen and Martínez, 2020; Quantus's <c>NonSensitivity</c>): elements whose attribution is below
/// <c>Threshold</c> should not matter to the model, the others should. Separately for the two sets, their elements in
/// index order are cut into groups of <c>FeaturesPerStep</c>, each group alone is replaced by the substrate of the
/// original example, and an element counts as "unchanged" when the target score moves by less than the threshold.
/// The score is the number of violations (zero-attributed elements that matter plus attributed elements that do not),
/// an Int64 tensor (B). Lower is better.
/// </summary>
/// <remarks>Cost: one forward pass per group and example, batched.</remarks>
public sealed record NonSensitivity : AttributionMetric,
    IAttributionPreprocessingSetting, ISoftmaxSetting, ISubstrateSetting, IFeaturesPerStepSetting, IThresholdSetting, IInternalBatchSizeSetting
{
    private NonSensitivity(SettingValues values) : base(values) { }

    /// <summary>Quantus's defaults: threshold 1e-5, one feature per step, substrate minimum, normalized by the batch maximum, absolute values, softmax scores.</summary>
    public static NonSensitivity Default { get; } = new(new SettingValues
    {
        Normalization = AttributionNormalization.MaxOfBatch, Absolute = true, Softmax = true, Substrate = FluentAttrib.Substrate.Minimum,
        FeaturesPerStep = 1, Threshold = Defaults.MetricThreshold,
    });

    /// <summary>The metric's settings, read back by name.</summary>
    public MethodSettings<NonSensitivity> Settings => new(Values);

    internal override bool HigherIsBetter => false;

    internal override Tensor Evaluate(MetricRequest request)
    {
        var v = Values;
        var data = PreparedBatch.Of(request, v, Name);
        int n = data.Elements, fis = v.FeaturesPerStep;
        var field = v.Substrate.IsStatistic || v.Substrate.Kind == Substrate.SubstrateKind.Constant ? null : Perturbations.FieldValues(data.Input, v.Substrate);
        var rank = new int[data.Batch][];
        var values = new double[data.Batch][];
        var steps = new int[data.Batch];
        var nonFeature = new bool[data.Batch][];
        for (int b = 0; b < data.Batch; b++)
        {
            nonFeature[b] = data.A[b].Select(a => a < v.Threshold).ToArray();
            rank[b] = new int[n];
            int step = 0;
            foreach (bool set in new[] { true, false })
            {
                int inGroup = 0;
                for (int i = 0; i < n; i++)
                {
                    if (nonFeature[b][i] != set) continue;
                    if (inGroup == fis) { step++; inGroup = 0; }
                    rank[b][i] = step;
                    inGroup++;
                }
                if (inGroup > 0) step++;
            }
            steps[b] = step;
            values[b] = field?[b] ?? Perturbations.OriginalValues(data.X[b], v.Substrate);
        }
        var scorer = new MetricScorer(request.Context, v.Softmax, Name, v.InternalBatchSize);
        var original = scorer.Scores(data.Input);
        var curves = Perturbations.Curves(scorer, data.Input, rank, values, steps, cumulative: false);
        var result = new long[data.Batch];
        for (int b = 0; b < data.Batch; b++)
            for (int i = 0; i < n; i++)
            {
                bool unchanged = Math.Abs(original[b] - curves[b][rank[b][i]]) < v.Threshold;
                if (unchanged ^ nonFeature[b][i]) result[b]++;
            }
        return tensor(result).to(data.Input.device);
    }
}
