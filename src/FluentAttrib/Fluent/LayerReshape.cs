using FluentAttrib.Core;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Rearranges a layer's output into the (B, C, *spatial) layout that class activation maps weight and sum
/// (pytorch-grad-cam's <c>reshape_transform</c>). Attach it to a layer with <see cref="Layer.Reshaped"/>.
/// Activations and gradients are rearranged alike; AblationCam writes its ablated copies back through the inverse.
/// </summary>
public abstract class LayerReshape
{
    private protected LayerReshape() { }

    /// <summary>
    /// Token outputs (B, T, C) of a vision transformer, T = <paramref name="prefixTokens"/> + height·width: the first
    /// <paramref name="prefixTokens"/> tokens (the class token) are dropped and the rest laid out row by row on a
    /// height × width grid, giving (B, C, height, width) (pytorch-grad-cam's <c>vit_reshape_transform</c>; with
    /// <paramref name="prefixTokens"/> 0, its <c>swinT_reshape_transform</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A grid side below 1 or a negative token count.</exception>
    public static LayerReshape Tokens(int height, int width, int prefixTokens = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(prefixTokens);
        return new TokenGrid(height, width, prefixTokens);
    }

    /// <summary>Channels-last outputs (B, *spatial, C), such as a Swin stage's (B, H, W, C): moved to (B, C, *spatial).</summary>
    public static LayerReshape ChannelsLast { get; } = new ChannelsLastLayout();

    /// <summary>
    /// A reshape of your own: <paramref name="toMap"/> takes the layer's output and returns (B, C, *spatial);
    /// <paramref name="fromMap"/> (optional, needed only by AblationCam) takes a rearranged tensor and the layer's
    /// original output for the same rows and returns a tensor of the layer's layout.
    /// </summary>
    public static LayerReshape Custom(Func<Tensor, Tensor> toMap, Func<Tensor, Tensor, Tensor>? fromMap = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(toMap);
        return new CustomLayout(toMap, fromMap, name ?? "custom reshape");
    }

    internal abstract Tensor Apply(Tensor value, Layer layer);

    internal abstract Tensor Invert(Tensor map, Tensor original, Layer layer);

    private sealed class TokenGrid(int height, int width, int prefix) : LayerReshape
    {
        internal override Tensor Apply(Tensor value, Layer layer)
        {
            if (value.dim() != 3 || value.shape[1] != prefix + (long)height * width)
                throw new InvalidOperationException(
                    $"Layer {layer} gives shape {Shapes.Format(value.shape)} but its reshape expects (B, {prefix} + {height}·{width} tokens, C).");
            long b = value.shape[0], c = value.shape[2];
            return value.narrow(1, prefix, (long)height * width).reshape(b, height, width, c).permute(0, 3, 1, 2);
        }

        internal override Tensor Invert(Tensor map, Tensor original, Layer layer)
        {
            long n = map.shape[0], c = map.shape[1];
            var tokens = map.permute(0, 2, 3, 1).reshape(n, (long)height * width, c);
            return prefix == 0 ? tokens.contiguous() : cat([original.narrow(1, 0, prefix).to(tokens.dtype), tokens], 1);
        }

        public override string ToString() => $"Tokens({height}×{width}, {prefix} prefix)";
    }

    private sealed class ChannelsLastLayout : LayerReshape
    {
        internal override Tensor Apply(Tensor value, Layer layer)
        {
            if (value.dim() < 3)
                throw new InvalidOperationException($"Layer {layer} gives shape {Shapes.Format(value.shape)}; a channels-last layout needs (B, *spatial, C).");
            int r = (int)value.dim();
            return value.permute([0, r - 1, .. Enumerable.Range(1, r - 2).Select(d => (long)d)]);
        }

        internal override Tensor Invert(Tensor map, Tensor original, Layer layer)
        {
            int r = (int)map.dim();
            return map.permute([0, .. Enumerable.Range(2, r - 2).Select(d => (long)d), 1]).contiguous();
        }

        public override string ToString() => "ChannelsLast";
    }

    private sealed class CustomLayout(Func<Tensor, Tensor> toMap, Func<Tensor, Tensor, Tensor>? fromMap, string name) : LayerReshape
    {
        internal override Tensor Apply(Tensor value, Layer layer) =>
            toMap(value) ?? throw new InvalidOperationException($"The reshape '{name}' of layer {layer} returned null.");

        internal override Tensor Invert(Tensor map, Tensor original, Layer layer)
        {
            if (fromMap is null)
                throw new InvalidOperationException($"AblationCam writes ablated copies back into layer {layer}: give the reshape '{name}' its inverse (fromMap).");
            return fromMap(map, original) ?? throw new InvalidOperationException($"The inverse of reshape '{name}' of layer {layer} returned null.");
        }

        public override string ToString() => name;
    }
}
