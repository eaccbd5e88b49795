using FluentAttrib.Core.Metrics;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Sparseness (Chalasani et al., 2020; Quantus's <c>Sparseness</c>): the Gini index of the attribution values (as given,
/// one per position), Σ_i (2i − n − 1)·v_i / (n·Σv) over v = the values + 1e-7 in ascending order, one value per
/// example; 1 is maximally sparse. Higher is better. No forward pass.
/// </summary>
public sealed record Sparseness : AttributionMetric, IAttributionPreprocessingSetting
{
    private Sparseness(SettingValues values) : base(values) { }

    /// <summary>Quantus's defaults: normalized by the batch maximum, absolute values.</summary>
    public static Sparseness Default { get; } = new(new SettingValues { Normalization = AttributionNormalization.MaxOfBatch, Absolute = true });

    /// <summary>The metric's settings, read back by name.</summary>
    public MethodSettings<Sparseness> Settings => new(Values);

    internal override Tensor Evaluate(MetricRequest request)
    {
        var a = MetricMath.Preprocess(request.Attribution, Values.Normalization, Values.Absolute);
        var scores = a.Select(row =>
        {
            var v = row.Select(x => x + 1e-7).Order().ToArray();
            int n = v.Length;
            double weighted = 0, sum = 0;
            for (int i = 0; i < n; i++)
            {
                weighted += (2.0 * (i + 1) - n - 1) * v[i];
                sum += v[i];
            }
            return weighted / (n * sum);
        }).ToArray();
        return MetricMath.ToTensor(scores, request.Input);
    }
}
