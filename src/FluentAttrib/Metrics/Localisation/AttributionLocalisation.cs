using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Attribution localisation (Kohlbrenner et al., 2020; Quantus's <c>AttributionLocalisation</c>): the share of the
/// attribution inside the ground-truth mask, Σ(a·s) / (Σa + 1e-9), one value per example; NaN for an empty mask or a
/// share above 1. With <see cref="KeepPositive"/> negative attributions count as 0; with <see cref="WeightByMaskSize"/>
/// the share is multiplied by the mask's size ratio. Higher is better.
/// </summary>
/// <remarks>
/// <b>Quantus's quirk (the default):</b> the weighting ratio is mask size / the number of input values of examples 2,
/// 3, … of the batch (Quantus's <c>x_batch[2:].size</c>), so a weighted score depends on the batch size.
/// <c>QuantusQuirks(false)</c> divides by the mask entries of one example (the paper's ratio).
/// </remarks>
public sealed record AttributionLocalisation : LocalisationMetric, IAttributionPreprocessingSetting, IQuantusQuirksSetting
{
    private AttributionLocalisation(SettingValues values) : base(values) { }

    /// <summary>Quantus's defaults: normalized by the batch maximum, absolute values, not weighted, negative values kept, Quantus's quirk.</summary>
    public static AttributionLocalisation Default { get; } = new(new SettingValues { Normalization = AttributionNormalization.MaxOfBatch, Absolute = true });

    /// <summary>The metric's settings, read back by name.</summary>
    public MethodSettings<AttributionLocalisation> Settings => new(Values);

    /// <summary>Multiplies the share by the mask's size ratio (Quantus's <c>weighted</c>).</summary>
    public AttributionLocalisation WeightByMaskSize(bool weight = true) => this with { Values = Values with { WeightByMaskSize = weight } };

    /// <summary>Counts only positive attributions (Quantus's <c>positive_attributions</c>).</summary>
    public AttributionLocalisation KeepPositive(bool positive = true) => this with { Values = Values with { KeepPositive = positive } };

    /// <inheritdoc />
    public override string Describe() =>
        $"AttributionLocalisation({(Values.WeightByMaskSize ? "weighted" : "unweighted")}{(Values.KeepPositive ? ", positive only" : "")})";

    internal override Tensor Evaluate(MetricRequest request)
    {
        var v = Values;
        var d = LocalisationData.Of(request, v, Name);
        var input = request.Input;
        double sizeData = v.QuantusQuirks
            ? Math.Max(0, input.shape[0] - 2) * input.shape.Skip(1).Aggregate(1L, (x, y) => x * y)
            : d.Size;
        var scores = new double[d.A.Length];
        for (int b = 0; b < d.A.Length; b++)
        {
            double inside = 0, total = 0, maskSize = 0;
            for (int i = 0; i < d.Size; i++)
            {
                double a = v.KeepPositive ? Math.Max(d.A[b][i], 0) : d.A[b][i];
                total += a;
                if (d.S[b][i]) { inside += a; maskSize++; }
            }
            double share = inside / (total + 1e-9);
            if (maskSize == 0 || share > 1) share = double.NaN;
            if (v.WeightByMaskSize) share *= maskSize / sizeData;
            scores[b] = share;
        }
        return LocalisationData.Result(scores, request);
    }
}

public static partial class MethodSettingReadBack
{
    extension(MethodSettings<AttributionLocalisation> settings)
    {
        /// <summary>Whether the share is multiplied by the mask's size ratio.</summary>
        public bool WeightByMaskSize => settings.Values.WeightByMaskSize;

        /// <summary>Whether only positive attributions count.</summary>
        public bool KeepPositive => settings.Values.KeepPositive;
    }
}
