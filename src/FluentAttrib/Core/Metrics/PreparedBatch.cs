using static TorchSharp.torch;

namespace FluentAttrib.Core.Metrics;

/// <summary>
/// A metric's view of one call: the input as rows of doubles, the attribution preprocessed (normalization, then
/// absolute value) and, for perturbation metrics, broadcast to every input element (Quantus §5, §6.1).
/// </summary>
internal sealed class PreparedBatch
{
    public required Tensor Input { get; init; }
    public required double[][] X { get; init; }
    public required double[][] A { get; init; }
    public int Batch => X.Length;
    public int Elements => X[0].Length;

    /// <summary>Per-example shape of the input (without the batch axis).</summary>
    public long[] ExampleShape => Input.shape.Skip(1).ToArray();

    public static PreparedBatch Of(MetricRequest request, SettingValues values, string metric, bool broadcast = true)
    {
        var input = request.Input;
        if (!input.is_floating_point())
            throw new ArgumentException($"{metric} perturbs the input, which must be floating point, not {input.dtype}.", "input");
        var a = MetricMath.Preprocess(request.Attribution, values.Normalization, values.Absolute);
        if (broadcast) a = MetricMath.BroadcastToInput(a, request.Attribution.shape, input.shape, metric);
        return new PreparedBatch { Input = input, X = MetricMath.Rows(input), A = a };
    }

    /// <summary>Requires images (B, C, H, W).</summary>
    public void RequireImages(string metric)
    {
        if (Input.dim() != 4)
            throw new ArgumentException($"{metric} needs images of shape (B, C, H, W); the input has shape {Shapes.Format(Input.shape)}.", "input");
    }
}
