using FluentAttrib.Core.Metrics;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Region perturbation (Samek et al., 2015; Quantus's <c>RegionPerturbation</c>): square patches (spanning every
/// channel) are ranked by their summed attribution and replaced cumulatively by the substrate, most relevant first
/// (or least relevant first); the curve is the drop of the target score after each of the first <c>Regions</c>
/// patches, y(x) − y(x_k), shape (B, min(Regions, patches)). Most relevant first: higher is better.
/// </summary>
/// <remarks>
/// When the patch size does not divide the height or width the example is padded (edge values; the attribution with
/// zeros) and the model sees the centre crop; a statistic substrate is taken over the padded copy perturbed so far.
/// Cost: one forward pass per region and example, batched.
/// </remarks>
public sealed record RegionPerturbation : AttributionMetric,
    IAttributionPreprocessingSetting, ISoftmaxSetting, ISubstrateSetting, IPatchSizeSetting, IOrderSetting, IInternalBatchSizeSetting
{
    private RegionPerturbation(SettingValues values) : base(values) { }

    /// <summary>Quantus's defaults: patches of 8, most relevant first, 100 regions, substrate minimum, normalized by the batch maximum, signed, softmax scores.</summary>
    public static RegionPerturbation Default { get; } = new(new SettingValues
    {
        Normalization = AttributionNormalization.MaxOfBatch, Absolute = false, Softmax = true, Substrate = FluentAttrib.Substrate.Minimum,
        PatchSizes = [Defaults.RegionPatchSize], Order = PerturbationOrder.MostRelevantFirst, Regions = Defaults.Regions,
    });

    /// <summary>The default metric with patches of <paramref name="size"/>.</summary>
    public static RegionPerturbation PatchSize(int size) => Default.PatchSize(size);

    /// <summary>The metric's settings, read back by name.</summary>
    public MethodSettings<RegionPerturbation> Settings => new(Values);

    /// <summary>How many patches are replaced (Quantus's <c>regions_evaluation</c>; fewer when the image has fewer).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="regions"/> is less than 1.</exception>
    public RegionPerturbation Regions(int regions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(regions, 1);
        return this with { Values = Values with { Regions = regions } };
    }

    /// <inheritdoc />
    public override string Describe() => $"RegionPerturbation(patch {Values.PatchSizes[0]}, {Values.Order}, {Values.Regions} regions, {Values.Substrate})";

    internal override bool HigherIsBetter => Values.Order == PerturbationOrder.MostRelevantFirst;

    internal override double Summarise(double[] curve) => Core.Metrics.MetricMath.Trapezoid(curve);

    internal override Tensor Evaluate(MetricRequest request)
    {
        var v = Values;
        var curves = PatchCurves.Evaluate(request, v, Name, v.PatchSizes[0], v.Order, v.Regions);
        return MetricMath.ToTensor(curves.Curves.Select((c, b) => c.Select(s => curves.Original[b] - s).ToArray()).ToArray(), request.Input);
    }
}

/// <summary>
/// Selectivity (Montavon et al., 2018; Quantus's <c>Selectivity</c>): every patch, most relevant first, replaced
/// cumulatively by the substrate; the curve is the target score after each, shape (B, patches). Lower (a faster fall)
/// is better. Padding and substrate as <see cref="RegionPerturbation"/>.
/// </summary>
public sealed record Selectivity : AttributionMetric,
    IAttributionPreprocessingSetting, ISoftmaxSetting, ISubstrateSetting, IPatchSizeSetting, IInternalBatchSizeSetting
{
    private Selectivity(SettingValues values) : base(values) { }

    /// <summary>Quantus's defaults: patches of 8, substrate minimum, normalized by the batch maximum, signed, softmax scores.</summary>
    public static Selectivity Default { get; } = new(new SettingValues
    {
        Normalization = AttributionNormalization.MaxOfBatch, Absolute = false, Softmax = true, Substrate = FluentAttrib.Substrate.Minimum, PatchSizes = [Defaults.RegionPatchSize],
    });

    /// <summary>The default metric with patches of <paramref name="size"/>.</summary>
    public static Selectivity PatchSize(int size) => Default.PatchSize(size);

    /// <summary>The metric's settings, read back by name.</summary>
    public MethodSettings<Selectivity> Settings => new(Values);

    /// <inheritdoc />
    public override string Describe() => $"Selectivity(patch {Values.PatchSizes[0]}, {Values.Substrate})";

    internal override bool HigherIsBetter => false;

    internal override double Summarise(double[] curve) => Core.Metrics.MetricMath.Trapezoid(curve);

    internal override Tensor Evaluate(MetricRequest request) =>
        MetricMath.ToTensor(PatchCurves.Evaluate(request, Values, Name, Values.PatchSizes[0], PerturbationOrder.MostRelevantFirst, int.MaxValue).Curves, request.Input);
}

/// <summary>The shared computation of region perturbation and selectivity.</summary>
internal static class PatchCurves
{
    public static (double[] Original, double[][] Curves) Evaluate(MetricRequest request, SettingValues v, string metric, int patch,
        PerturbationOrder order, int regions)
    {
        var data = PreparedBatch.Of(request, v, metric);
        data.RequireImages(metric);
        var grid = new PatchGrid(data.ExampleShape, patch);
        int steps = Math.Min(regions, grid.Patches);
        var field = v.Substrate.IsStatistic || v.Substrate.Kind == Substrate.SubstrateKind.Constant ? null : Perturbations.FieldValues(data.Input, v.Substrate);
        var rank = new int[data.Batch][];
        var values = new double[data.Batch][];
        for (int b = 0; b < data.Batch; b++)
        {
            var sums = grid.PatchSums(grid.Pad(data.A[b], edge: false));
            var ordered = order == PerturbationOrder.MostRelevantFirst ? MetricMath.Descending(sums) : MetricMath.Ascending(sums);
            var rankPad = new int[grid.PaddedLength];
            Array.Fill(rankPad, Perturbations.Never);
            for (int k = 0; k < steps; k++)
                foreach (int cell in grid.Cells(ordered[k])) rankPad[cell] = k;
            rank[b] = grid.Crop(rankPad);
            values[b] = field?[b] ?? grid.Crop(Perturbations.ProgressiveValues(grid.Pad(data.X[b], edge: true), rankPad, steps, v.Substrate));
        }
        var scorer = new MetricScorer(request.Context, v.Softmax, metric, v.InternalBatchSize);
        var original = scorer.Scores(data.Input);
        var curves = Perturbations.Curves(scorer, data.Input, rank, values, Enumerable.Repeat(steps, data.Batch).ToArray(), cumulative: true);
        return (original, curves);
    }
}

public static partial class MethodSettingReadBack
{
    extension(MethodSettings<RegionPerturbation> settings)
    {
        /// <summary>How many patches are replaced.</summary>
        public int Regions => settings.Values.Regions;
    }
}
