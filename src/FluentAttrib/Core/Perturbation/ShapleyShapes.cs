using static TorchSharp.torch;

namespace FluentAttrib.Core.Perturbation;

/// <summary>The shape of Shapley attributions, shared by ShapleyValues and ShapleyValueSampling.</summary>
internal static class ShapleyShapes
{
    /// <summary>
    /// Captum's shape for Shapley attributions without a target: (B, *output dims, *input dims), e.g. (B, 1, F) for
    /// a model that returns (B, 1).
    /// </summary>
    public static Tensor[] CaptumShape(AttributionContext context, Tensor[] values, long[] outputShape)
    {
        if (!context.Target.IsNone || outputShape.Length == 0) return values;
        return values.Select((v, i) => v.reshape([v.shape[0], .. outputShape, .. v.shape[1..]])).ToArray();
    }
}
