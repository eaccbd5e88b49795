using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Core.Cam;

/// <summary>
/// The arithmetic every class activation map shares (pytorch-grad-cam 1.5.5's <c>scale_cam_image</c>,
/// <c>get_2d_projection</c> and the resize): written once, on tensors of any spatial rank.
/// </summary>
internal static class CamMath
{
    /// <summary>pytorch-grad-cam's absolute epsilon of the min–max scaling.</summary>
    public const double ScaleEpsilon = 1e-7;

    /// <summary>Dimensions 1.. of a tensor (everything but the batch).</summary>
    public static long[] NonBatchDims(Tensor t) => Enumerable.Range(1, (int)t.dim() - 1).Select(d => (long)d).ToArray();

    /// <summary>Dimensions 2.. of a tensor (the spatial ones of (B, C, ...)).</summary>
    public static long[] SpatialDims(Tensor t) => Enumerable.Range(2, (int)t.dim() - 2).Select(d => (long)d).ToArray();

    /// <summary>Per example (dimension 0): m − min, then / (1e-7 + max). An all-zero map stays zero.</summary>
    public static Tensor Scale(Tensor m)
    {
        var dims = NonBatchDims(m);
        var shifted = m - m.amin(dims, keepdim: true);
        return shifted / (shifted.amax(dims, keepdim: true) + ScaleEpsilon);
    }

    /// <summary>
    /// Resizes maps (B, *S) to (B, *size) as pytorch-grad-cam does. Images (2-D): bilinear with half-pixel centres, border
    /// clamping and no antialiasing (OpenCV's INTER_LINEAR). Volumes (3-D): SciPy's cubic spline <c>zoom</c>
    /// (<see cref="SplineZoom"/>; <paramref name="quirks"/> false clamps the last coordinate where SciPy's rounding
    /// leaves the last plane at 0). Signals (1-D, which pytorch-grad-cam does not take): linear with half-pixel centres.
    /// Equal sizes copy.
    /// </summary>
    public static Tensor Resize(Tensor m, long[] size, bool quirks = true)
    {
        if (m.shape.AsSpan(1).SequenceEqual(size)) return m.alias();
        return size.Length switch
        {
            1 => nn.functional.interpolate(m.unsqueeze(1), size, mode: InterpolationMode.Linear, align_corners: false).squeeze(1),
            2 => nn.functional.interpolate(m.unsqueeze(1), size, mode: InterpolationMode.Bilinear, align_corners: false).squeeze(1),
            3 => SplineZoom.Resize(m, size, exact: quirks),
            _ => throw new NotSupportedException($"Maps with {size.Length} spatial dimensions cannot be resized (1 to 3 are supported)."),
        };
    }

    /// <summary>Scale, then resize to <paramref name="size"/> (null: no resize).</summary>
    public static Tensor ScaleAndResize(Tensor m, long[]? size, bool quirks = true) => size is null ? Scale(m) : Resize(Scale(m), size, quirks);

    /// <summary>
    /// Scales and resizes every (example, channel) slice of (B, C, *S) by itself (pytorch-grad-cam's
    /// <c>scale_accross_batch_and_channels</c>), giving (B, C, *size) (null: no resize).
    /// </summary>
    public static Tensor ScalePerChannel(Tensor t, long[]? size)
    {
        long b = t.shape[0], c = t.shape[1];
        var flat = t.reshape([b * c, .. t.shape.AsSpan(2)]);
        return ScaleAndResize(flat, size).reshape([b, c, .. size ?? t.shape.AsSpan(2).ToArray()]);
    }

    /// <summary>Rounds a float64 tensor to float32 precision (where pytorch-grad-cam converts to float32); others as is.</summary>
    public static Tensor RoundToFloat32(Tensor t) => t.dtype == ScalarType.Float64 ? t.to(ScalarType.Float32).to(ScalarType.Float64) : t;

    /// <summary>
    /// Per example: the (C, *S) stack as a matrix of pixels × channels, each channel centred, projected on its first
    /// right singular vector; (B, *S), rounded to float32 as pytorch-grad-cam returns it. NaNs count as 0.
    /// <paramref name="fixSign"/> false keeps the sign the SVD returns (pytorch-grad-cam's behaviour: unspecified);
    /// true flips each map so that its largest magnitude is positive.
    /// </summary>
    public static Tensor Project(Tensor stack, bool fixSign)
    {
        long b = stack.shape[0], c = stack.shape[1];
        var spatial = stack.shape.AsSpan(2).ToArray();
        var clean = where(isnan(stack), zeros_like(stack), stack);
        var m = clean.reshape(b, c, -1).transpose(1, 2);                  // (B, P, C)
        m = m - m.mean([1L], keepdim: true);
        var (_, _, vh) = linalg.svd(m, fullMatrices: false);             // vh (B, k, C)
        var v = vh.select(1, 0).unsqueeze(-1);                            // (B, C, 1)
        var projection = matmul(m, v).squeeze(-1);                        // (B, P)
        projection = RoundToFloat32(projection);
        if (fixSign)
        {
            var flip = projection.amin([1L], keepdim: true).abs() > projection.amax([1L], keepdim: true).abs();
            projection = where(flip, -projection, projection);
        }
        return projection.reshape([b, .. spatial]);
    }

    /// <summary>Broadcasts channel weights (B, C) over the spatial dimensions of <paramref name="like"/> (B, C, *S).</summary>
    public static Tensor Expand(Tensor weights, Tensor like)
    {
        var shape = new long[like.dim()];
        shape[0] = weights.shape[0];
        shape[1] = weights.shape[1];
        for (int d = 2; d < shape.Length; d++) shape[d] = 1;
        return weights.reshape(shape);
    }
}
