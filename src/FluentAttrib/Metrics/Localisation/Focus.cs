using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Focus (Arias-Duart et al., 2022; Quantus's <c>Focus</c>): for a 2×2 mosaic of images, the share of the positive
/// attribution that falls on the quadrants showing the target class, one value per example in [0, 1]. The ground truth
/// is a (B, 4) tensor of 0/1 flags: top-left, top-right, bottom-left, bottom-right (split at H/2, W/2, rounded down).
/// Higher is better.
/// </summary>
public sealed record Focus : LocalisationMetric, IAttributionPreprocessingSetting
{
    private Focus(SettingValues values) : base(values) { }

    /// <summary>Quantus's defaults: normalized by the batch maximum, signed (negative values count as 0).</summary>
    public static Focus Default { get; } = new(new SettingValues { Normalization = AttributionNormalization.MaxOfBatch, Absolute = false });

    /// <summary>The metric's settings, read back by name.</summary>
    public MethodSettings<Focus> Settings => new(Values);

    internal override Tensor Evaluate(MetricRequest request)
    {
        var attribution = request.Attribution;
        var flags = request.GroundTruth!;
        if (attribution.dim() != 4)
            throw new ArgumentException($"Focus needs attributions of mosaics (B, C, H, W); got {Shapes.Format(attribution.shape)}.", "attribution");
        if (flags.dim() != 2 || flags.shape[1] != 4)
            throw new ArgumentException($"Focus needs (B, 4) quadrant flags as ground truth; got {Shapes.Format(flags.shape)}.", "groundTruth");
        var a = Core.Metrics.MetricMath.Preprocess(attribution, Values.Normalization, Values.Absolute);
        var c = Core.Metrics.MetricMath.Rows(flags);
        int channels = (int)attribution.shape[1], h = (int)attribution.shape[2], w = (int)attribution.shape[3];
        int halfH = h / 2, halfW = w / 2;
        var scores = new double[a.Length];
        for (int b = 0; b < a.Length; b++)
        {
            double inside = 0, total = 0;
            for (int ch = 0; ch < channels; ch++)
                for (int i = 0; i < h; i++)
                    for (int j = 0; j < w; j++)
                    {
                        double v = Math.Max(0, a[b][(ch * h + i) * w + j]);
                        int quadrant = (i < halfH ? 0 : 2) + (j < halfW ? 0 : 1);
                        total += v;
                        inside += v * c[b][quadrant];
                    }
            scores[b] = inside / (total + 1e-9);
        }
        return LocalisationData.Result(scores, request);
    }
}
