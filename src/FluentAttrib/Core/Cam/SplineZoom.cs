using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Core.Cam;

/// <summary>
/// SciPy's <c>ndimage.zoom</c> as pytorch-grad-cam 1.5.5 calls it on volume maps (<c>zoom(map, factors)</c>: cubic
/// B-spline, <c>mode='constant'</c>, <c>cval=0</c>, <c>prefilter=True</c>, <c>grid_mode=False</c>), written as one
/// matrix per axis and applied on the map's device.
/// <para>
/// Per axis of n source and N destination samples (SciPy's semantics, from <c>scipy/ndimage/_interpolation.py</c>,
/// <c>ni_interpolation.c</c> and <c>ni_splines.c</c>):
/// </para>
/// <list type="bullet">
/// <item>The samples are turned into cubic B-spline coefficients by the recursive prefilter (pole √3 − 2, gain
/// (1 − z)(1 − 1/z), whole-sample mirror boundary for the causal and anticausal initial values, the boundary SciPy's
/// <c>constant</c> mode uses for its prefilter); an axis of one sample is left as it is.</item>
/// <item>Output sample k sits at source coordinate c = k · ((n − 1)/(N − 1)) (1 when N = 1), the ratio and the product
/// in double as SciPy forms them. A coordinate outside [0, n − 1] gives <c>cval</c> = 0: when the product rounds
/// above n − 1 at k = N − 1 (e.g. 8 → 26 samples), SciPy's last output plane is 0. <c>exact = false</c> clamps that
/// coordinate to n − 1 instead.</item>
/// <item>The value at c is Σ_h coef[mirror(⌊c⌋ − 1 + h)] · w_h(c − ⌊c⌋), h = 0..3, with SciPy's cubic weights and the
/// taps outside the axis mirrored (whole-sample symmetric).</item>
/// </list>
/// The prefilter and the weights of an axis are combined on the host into one N × n matrix (its size is that of the
/// axis, never of the volume); the volume is multiplied by it along each axis in turn, in float64 on the map's device
/// (float32 where the device has no float64), and returned in the map's dtype. Equal sizes copy (SciPy's early exit
/// for a zoom of 1).
/// </summary>
internal static class SplineZoom
{
    /// <summary>The cubic B-spline's prefilter pole, √3 − 2 (SciPy's literal).</summary>
    private const double Pole = -0.267949192431122706472553658494127633;

    /// <summary>Resizes maps (B, *S) to (B, *size) along every spatial axis.</summary>
    public static Tensor Resize(Tensor m, long[] size, bool exact = true)
    {
        if (m.dim() - 1 != size.Length)
            throw new ArgumentException($"internal: {size.Length} target sizes for maps of shape {Shapes.Format(m.shape)}.", nameof(size));
        if (m.shape.AsSpan(1).SequenceEqual(size)) return m.alias();
        var work = m.device.type == DeviceType.MPS ? ScalarType.Float32 : ScalarType.Float64;
        var t = m.to(work);
        for (int axis = 0; axis < size.Length; axis++)
        {
            long n = m.shape[axis + 1], count = size[axis];
            if (count < 1) throw new ArgumentOutOfRangeException(nameof(size), $"Cannot resize an axis to {count} samples.");
            var matrix = AxisMatrix((int)n, (int)count, exact);
            var mt = tensor(matrix, [count, n], ScalarType.Float64).to(work, m.device).t();   // (n, N)
            t = matmul(t.transpose(axis + 1, -1), mt).transpose(-1, axis + 1);
        }
        return t.to(m.dtype);
    }

    /// <summary>The N × n matrix (row-major) that maps an axis's n samples to its N zoomed samples: weights · prefilter.</summary>
    internal static double[] AxisMatrix(int n, int count, bool exact)
    {
        var prefilter = PrefilterMatrix(n);
        var weights = WeightMatrix(n, count, exact);
        var result = new double[count * n];
        for (int k = 0; k < count; k++)
            for (int i = 0; i < n; i++)
            {
                double w = weights[k * n + i];
                if (w == 0) continue;
                for (int j = 0; j < n; j++) result[k * n + j] += w * prefilter[i * n + j];
            }
        return result;
    }

    /// <summary>The n × n matrix (row-major) of the prefilter: column j is the filter applied to the unit sample j.</summary>
    internal static double[] PrefilterMatrix(int n)
    {
        var matrix = new double[n * n];
        var line = new double[n];
        for (int j = 0; j < n; j++)
        {
            Array.Clear(line);
            line[j] = 1;
            Prefilter(line);
            for (int i = 0; i < n; i++) matrix[i * n + j] = line[i];
        }
        return matrix;
    }

    /// <summary>SciPy's in-place cubic prefilter of one line (mirror boundary); a line of one sample stays as it is.</summary>
    internal static void Prefilter(double[] c)
    {
        int n = c.Length;
        if (n <= 1) return;
        const double z = Pole;
        double gain = (1.0 - z) * (1.0 - 1.0 / z);
        for (int i = 0; i < n; i++) c[i] *= gain;
        // Causal initial value for a whole-sample mirror extension.
        double zi = z, zn1 = Math.Pow(z, n - 1);
        c[0] = c[0] + zn1 * c[n - 1];
        for (int i = 1; i < n - 1; i++)
        {
            c[0] += zi * (c[i] + zn1 * c[n - 1 - i]);
            zi *= z;
        }
        c[0] /= 1 - zn1 * zn1;
        for (int i = 1; i < n; i++) c[i] += z * c[i - 1];
        // Anticausal initial value, then the backward recursion.
        c[n - 1] = (z * c[n - 2] + c[n - 1]) * z / (z * z - 1);
        for (int i = n - 2; i >= 0; i--) c[i] = z * (c[i + 1] - c[i]);
    }

    /// <summary>The N × n matrix (row-major) of the interpolation weights on the coefficients (mirrored taps added up).</summary>
    internal static double[] WeightMatrix(int n, int count, bool exact)
    {
        var matrix = new double[count * n];
        double ratio = count - 1 != 0 ? (double)(n - 1) / (count - 1) : 1.0;
        Span<double> w = stackalloc double[4];
        for (int k = 0; k < count; k++)
        {
            double c = k;
            c *= ratio;
            if (c < 0 || c > n - 1)
            {
                if (exact) continue;   // SciPy: outside the input, the output is cval = 0
                c = Math.Clamp(c, 0, n - 1);
            }
            double floor = Math.Floor(c);
            Weights(c - floor, w);
            long start = (long)floor - 1;
            for (int h = 0; h < 4; h++) matrix[k * n + Mirror(start + h, n)] += w[h];
        }
        return matrix;
    }

    /// <summary>SciPy's cubic interpolation weights for the taps ⌊c⌋−1 … ⌊c⌋+2 at fraction x = c − ⌊c⌋ (the last from their sum).</summary>
    internal static void Weights(double x, Span<double> w)
    {
        double y = x, z = 1.0 - x;
        w[1] = (y * y * (y - 2.0) * 3.0 + 4.0) / 6.0;
        w[2] = (z * z * (z - 2.0) * 3.0 + 4.0) / 6.0;
        w[0] = z * z * z / 6.0;
        w[3] = 1.0;
        for (int i = 0; i < 3; i++) w[3] -= w[i];
    }

    /// <summary>A tap index mirrored into [0, n − 1] (whole-sample symmetric, period 2n − 2), as SciPy maps it.</summary>
    internal static int Mirror(long index, int n)
    {
        if (n <= 1) return 0;
        long period = 2L * n - 2;
        if (index < 0)
        {
            index = period * (-index / period) + index;
            index = index <= 1 - n ? index + period : -index;
        }
        else if (index > n - 1)
        {
            index -= period * (index / period);
            if (index >= n) index = period - index;
        }
        return (int)index;
    }
}
