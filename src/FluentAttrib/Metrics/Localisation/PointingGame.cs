using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Pointing game (Zhang et al., 2018; Quantus's <c>PointingGame</c>): true when a position holding the example's
/// largest attribution (any of tied maxima) lies inside the ground-truth mask. Returns a Bool tensor (B).
/// </summary>
public sealed record PointingGame : LocalisationMetric, IAttributionPreprocessingSetting
{
    private PointingGame(SettingValues values) : base(values) { }

    /// <summary>Quantus's defaults: normalized by the batch maximum, signed.</summary>
    public static PointingGame Default { get; } = new(new SettingValues { Normalization = AttributionNormalization.MaxOfBatch, Absolute = false });

    /// <summary>The metric's settings, read back by name.</summary>
    public MethodSettings<PointingGame> Settings => new(Values);

    internal override Tensor Evaluate(MetricRequest request)
    {
        var d = LocalisationData.Of(request, Values, Name);
        var hits = new bool[d.A.Length];
        for (int b = 0; b < d.A.Length; b++)
        {
            double max = d.A[b].Max();
            for (int i = 0; i < d.Size; i++) hits[b] |= d.A[b][i] == max && d.S[b][i];
        }
        return tensor(hits).to(request.Input.device);
    }
}
