using static TorchSharp.torch;

namespace FluentAttrib.Core.Perturbation;

/// <summary>
/// The positions of an occlusion window sliding over one example of an input (all dimensions but the batch), as
/// Captum's Occlusion places them: per dimension ⌈(D − W)/S⌉ + 1 windows, window k covering [kS, min(kS + W, D))
/// (the last one clipped at the edge). Windows are numbered row-major over the per-dimension window counts.
/// </summary>
internal sealed class SlidingWindows
{
    private readonly Tensor[] _cover; // per dim: bool (K_d, D_d), window k covers position p

    /// <param name="shape">The example shape (input shape without the batch dimension).</param>
    /// <param name="window">Window extent per dimension, each in 1..D.</param>
    /// <param name="stride">Stride per dimension, each at least 1.</param>
    /// <param name="device">Where the coverage tables live.</param>
    public SlidingWindows(long[] shape, long[] window, long[] stride, Device device)
    {
        Shape = shape;
        Counts = new long[shape.Length];
        _cover = new Tensor[shape.Length];
        long total = 1;
        for (int d = 0; d < shape.Length; d++)
        {
            long count = CeilDiv(shape[d] - window[d], stride[d]) + 1;
            Counts[d] = count;
            total *= count;
            var table = new bool[count * shape[d]];
            for (long k = 0; k < count; k++)
                for (long p = k * stride[d]; p < Math.Min(k * stride[d] + window[d], shape[d]); p++)
                    table[k * shape[d] + p] = true;
            _cover[d] = tensor(table, [count, shape[d]], device: device);
        }
        if (total > int.MaxValue) throw new ArgumentException($"{total} occlusion windows are too many; use a larger window or stride.", "window");
        Total = (int)total;
    }

    /// <summary>Example shape.</summary>
    public long[] Shape { get; }

    /// <summary>Windows per dimension.</summary>
    public long[] Counts { get; }

    /// <summary>Number of windows.</summary>
    public int Total { get; }

    /// <summary>
    /// Masks (k, 1, D₁, …, D_n): copy j is true inside window <paramref name="windows"/>[j] when
    /// <paramref name="valid"/>[j] holds, all false otherwise. <paramref name="windows"/> must be in 0..Total−1.
    /// </summary>
    public Tensor Masks(Tensor windows, Tensor valid)
    {
        long k = windows.shape[0];
        int n = Shape.Length;
        var rest = windows;
        Tensor mask = valid.reshape([k, 1, .. Enumerable.Repeat(1L, n)]);
        for (int d = n - 1; d >= 0; d--)
        {
            var index = rest.remainder(Counts[d]);
            rest = rest.div(Counts[d], rounding_mode: RoundingMode.floor);
            long[] shape = [k, 1, .. Enumerable.Repeat(1L, n)];
            shape[2 + d] = Shape[d];
            mask = mask.logical_and(_cover[d].index_select(0, index).reshape(shape));
        }
        return mask;
    }

    /// <summary>
    /// Mean over the windows covering each element: <paramref name="perWindow"/> (Total, B) holds one value per window
    /// and example; the result (B, D₁, …, D_n) is in float64.
    /// </summary>
    public Tensor AverageOverCover(Tensor perWindow)
    {
        long batch = perWindow.shape[1];
        int n = Shape.Length;
        var sums = perWindow.to(ScalarType.Float64).t().reshape([batch, .. Counts]);
        var counts = ones(Shape, dtype: ScalarType.Float64, device: perWindow.device);
        for (int d = 0; d < n; d++)
        {
            var cover = _cover[d].to(ScalarType.Float64, perWindow.device);
            sums = sums.movedim([1 + d], [n]).matmul(cover).movedim([n], [1 + d]);
            long[] shape = [.. Enumerable.Repeat(1L, n)];
            shape[d] = Shape[d];
            counts = counts * cover.sum(dim: 0).reshape(shape);
        }
        return sums / counts;
    }

    private static long CeilDiv(long a, long b) => (a + b - 1) / b;
}
