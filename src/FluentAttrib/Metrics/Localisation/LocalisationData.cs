
using FluentAttrib.Core.Metrics;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>The attribution (preprocessed, as given) and the 0/1 mask of a localisation metric, one flattened row per example.</summary>
internal sealed class LocalisationData
{
    public required double[][] A { get; init; }
    public required bool[][] S { get; init; }

    /// <summary>Number of mask entries per example.</summary>
    public int Size => A[0].Length;

    public static LocalisationData Of(MetricRequest request, SettingValues v, string metric)
    {
        var attribution = request.Attribution;
        var mask = request.GroundTruth!;
        var a = MetricMath.Preprocess(attribution, v.Normalization, v.Absolute);
        Tensor m = mask;
        if (mask.numel() != attribution.numel())
        {
            try
            {
                m = mask.expand(attribution.shape);
            }
            catch (Exception e) when (e is ArgumentException or System.Runtime.InteropServices.ExternalException)
            {
                throw new ArgumentException(
                    $"{metric}: the ground-truth mask has shape {Shapes.Format(mask.shape)}, which does not fit the attribution's {Shapes.Format(attribution.shape)}.", "groundTruth", e);
            }
        }
        var s = MetricMath.Rows(m).Select(r => r.Select(x => x != 0).ToArray()).ToArray();
        return new LocalisationData { A = a, S = s };
    }

    public static Tensor Result(double[] scores, MetricRequest request) => MetricMath.ToTensor(scores, request.Input);
}
