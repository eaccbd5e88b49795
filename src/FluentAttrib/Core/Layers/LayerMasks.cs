using static TorchSharp.torch;

namespace FluentAttrib.Core.Layers;

/// <summary>The layer mask of a layer perturbation method: a single mask, checked before the run.</summary>
internal static class LayerMasks
{
    public static FeatureMask? Check(FeatureMask? mask, string method)
    {
        if (mask is not null && mask.Masks.Length != 1)
            throw new ArgumentException($"{method}: a layer has one value, so give a single layer mask (got {mask.Masks.Length}).", "mask");
        return mask;
    }

    /// <summary>The mask broadcast to the layer's value, or one group per neuron.</summary>
    public static Tensor[] Expand(FeatureMask? mask, Tensor[] values) =>
        mask is { } m ? m.Expand(values, "layerMask") : Perturbation.DefaultMasks(values).Select((d, i) => d.expand(values[i].shape)).ToArray();
}
