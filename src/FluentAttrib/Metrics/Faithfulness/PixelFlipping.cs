using FluentAttrib.Core.Metrics;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Pixel flipping (Bach et al., 2015; Quantus's <c>PixelFlipping</c>): the input's elements are replaced by the
/// substrate in descending order of attribution, <c>FeaturesPerStep</c> at a time and cumulatively, and the model's
/// score for the target is recorded after every step. Returns one curve per example, shape (B, ceil(N / step)), with
/// no unperturbed point (the last step has every element replaced); with <c>ReturnAuc()</c> its trapezoid area
/// (B). A faithful attribution makes the curve fall fast: lower is better. A (B, 1, H, W) attribution is shared by
/// the channels (every channel element is one feature).
/// </summary>
/// <remarks>Cost: one forward pass per step and example, batched. A <see cref="Substrate.Mean"/> is the mean of the copy
/// perturbed so far, recomputed every step.</remarks>
public sealed record PixelFlipping : AttributionMetric,
    IAttributionPreprocessingSetting, ISoftmaxSetting, ISubstrateSetting, IFeaturesPerStepSetting, IReturnAucSetting, IInternalBatchSizeSetting
{
    private PixelFlipping(SettingValues values) : base(values) { }

    /// <summary>Quantus's defaults: normalized by the batch maximum, signed, softmax scores, substrate <see cref="Substrate.Minimum"/>, one feature per step, curves.</summary>
    public static PixelFlipping Default { get; } = new(new SettingValues
    {
        Normalization = AttributionNormalization.MaxOfBatch, Absolute = false, Softmax = true, Substrate = FluentAttrib.Substrate.Minimum, FeaturesPerStep = 1,
    });

    /// <summary>The default metric removing <paramref name="features"/> features per step.</summary>
    public static PixelFlipping FeaturesPerStep(int features) => Default.FeaturesPerStep(features);

    /// <summary>The metric's settings, read back by name.</summary>
    public MethodSettings<PixelFlipping> Settings => new(Values);

    /// <inheritdoc />
    public override string Describe() => $"PixelFlipping({Values.FeaturesPerStep} per step, {Values.Substrate}{(Values.ReturnAuc ? ", AUC" : "")})";

    internal override bool HigherIsBetter => false;

    internal override double Summarise(double[] curve) => Core.Metrics.MetricMath.Trapezoid(curve);

    internal override Tensor Evaluate(MetricRequest request)
    {
        var v = Values;
        var data = PreparedBatch.Of(request, v, Name);
        int n = data.Elements, fis = v.FeaturesPerStep;
        int steps = (n + fis - 1) / fis;
        var rank = new int[data.Batch][];
        var values = new double[data.Batch][];
        var field = v.Substrate.IsStatistic || v.Substrate.Kind == Substrate.SubstrateKind.Constant ? null : Perturbations.FieldValues(data.Input, v.Substrate);
        for (int b = 0; b < data.Batch; b++)
        {
            var order = MetricMath.Descending(data.A[b]);
            rank[b] = new int[n];
            for (int j = 0; j < n; j++) rank[b][order[j]] = j / fis;
            values[b] = field?[b] ?? Perturbations.ProgressiveValues(data.X[b], rank[b], steps, v.Substrate);
        }
        var scorer = new MetricScorer(request.Context, v.Softmax, Name, v.InternalBatchSize);
        var curves = Perturbations.Curves(scorer, data.Input, rank, values, Enumerable.Repeat(steps, data.Batch).ToArray(), cumulative: true);
        return v.ReturnAuc
            ? MetricMath.ToTensor(curves.Select(c => MetricMath.Trapezoid(c)).ToArray(), data.Input)
            : MetricMath.ToTensor(curves, data.Input);
    }
}
