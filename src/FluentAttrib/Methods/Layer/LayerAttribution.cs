using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>Utilities for layer attributions.</summary>
public static class LayerAttribution
{
    /// <summary>
    /// Resizes a layer attribution of shape (B, C, spatial...) to <paramref name="size"/> (the spatial sizes), e.g. a
    /// Grad-CAM map to the input's height and width. Equal to Captum's <c>LayerAttribution.interpolate</c>, i.e.
    /// PyTorch's <c>F.interpolate</c> with <c>align_corners=False</c>: <see cref="InterpolationMode.Nearest"/> uses
    /// the legacy rule src = floor(dst · in / out); <see cref="InterpolationMode.Bicubic"/> uses A = −0.75 with clamped
    /// borders; <see cref="InterpolationMode.Area"/> is adaptive average pooling.
    /// </summary>
    /// <param name="layerAttribution">A (B, C, L), (B, C, H, W) or (B, C, D, H, W) tensor.</param>
    /// <param name="size">One output size per spatial dimension.</param>
    /// <param name="mode">
    /// Nearest (any rank), Linear (1 spatial dim), Bilinear or Bicubic (2), Trilinear (3), Area (any), NearestExact (any).
    /// </param>
    /// <exception cref="ArgumentException">The tensor's rank or the number of sizes does not fit the mode.</exception>
    public static Tensor Interpolate(Tensor layerAttribution, long[] size, InterpolationMode mode = InterpolationMode.Nearest)
    {
        ArgumentNullException.ThrowIfNull(layerAttribution);
        ArgumentNullException.ThrowIfNull(size);
        long spatial = layerAttribution.dim() - 2;
        if (spatial < 1 || spatial > 3)
            throw new ArgumentException($"Interpolation needs a (B, C, ...) tensor with 1 to 3 spatial dimensions; got shape {Shapes.Format(layerAttribution.shape)}.", nameof(layerAttribution));
        if (size.Length != spatial)
            throw new ArgumentException($"Give {spatial} output size(s) for a tensor of shape {Shapes.Format(layerAttribution.shape)}; {size.Length} were given.", nameof(size));
        if (size.Any(s => s < 1)) throw new ArgumentException("Output sizes must be positive.", nameof(size));
        int? required = mode switch
        {
            InterpolationMode.Linear => 1,
            InterpolationMode.Bilinear or InterpolationMode.Bicubic => 2,
            InterpolationMode.Trilinear => 3,
            InterpolationMode.Nearest or InterpolationMode.NearestExact or InterpolationMode.Area => null,
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown interpolation mode."),
        };
        if (required is { } r && r != spatial)
            throw new ArgumentException($"{mode} interpolation needs {r} spatial dimension(s); the tensor of shape {Shapes.Format(layerAttribution.shape)} has {spatial}.", nameof(mode));
        bool? alignCorners = mode is InterpolationMode.Linear or InterpolationMode.Bilinear or InterpolationMode.Bicubic or InterpolationMode.Trilinear ? false : null;
        return nn.functional.interpolate(layerAttribution, size: size, mode: mode, align_corners: alignCorners);
    }

    /// <summary>Resizes a (B, C, L) layer attribution to length <paramref name="size"/>.</summary>
    public static Tensor Interpolate(Tensor layerAttribution, long size, InterpolationMode mode = InterpolationMode.Nearest) =>
        Interpolate(layerAttribution, [size], mode);
}
