using FluentAttrib.Core.Cam;
using TorchSharp;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Cam;

/// <summary>
/// Volume maps are resized as pytorch-grad-cam resizes them, with SciPy's cubic-spline <c>zoom</c> (order 3, mode
/// 'constant', grid_mode false). The reference here is written independently of the library's recursive prefilter:
/// the spline coefficients solve the interpolation conditions with a dense linear solve (whole-sample mirror
/// boundary), and the spline is evaluated with the closed-form cubic B-spline.
/// </summary>
public class VolumeZoomTests
{
    /// <summary>The centred cubic B-spline.</summary>
    private static double Beta3(double t)
    {
        t = Math.Abs(t);
        if (t < 1) return 2.0 / 3.0 - t * t + t * t * t / 2.0;
        if (t < 2) { double u = 2 - t; return u * u * u / 6.0; }
        return 0;
    }

    /// <summary>Index k folded into [0, n − 1] by reflection about 0 and n − 1.</summary>
    private static int Fold(int k, int n)
    {
        if (n == 1) return 0;
        int p = 2 * n - 2;
        k = ((k % p) + p) % p;
        return k < n ? k : p - k;
    }

    /// <summary>Coefficients c with Σ_k c[fold(k)]·β3(i − k) = f[i] for every sample i (Gaussian elimination).</summary>
    private static double[] Coefficients(double[] f)
    {
        int n = f.Length;
        if (n == 1) return [f[0]];
        var a = new double[n, n + 1];
        for (int i = 0; i < n; i++)
        {
            for (int k = i - 2; k <= i + 2; k++) a[i, Fold(k, n)] += Beta3(i - k);
            a[i, n] = f[i];
        }
        for (int col = 0; col < n; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < n; r++) if (Math.Abs(a[r, col]) > Math.Abs(a[pivot, col])) pivot = r;
            for (int j = 0; j <= n; j++) (a[col, j], a[pivot, j]) = (a[pivot, j], a[col, j]);
            for (int r = 0; r < n; r++)
            {
                if (r == col) continue;
                double factor = a[r, col] / a[col, col];
                for (int j = col; j <= n; j++) a[r, j] -= factor * a[col, j];
            }
        }
        return Enumerable.Range(0, n).Select(i => a[i, n] / a[i, i]).ToArray();
    }

    private static double Spline(double[] c, double x)
    {
        int n = c.Length;
        double sum = 0;
        for (int k = (int)Math.Floor(x) - 2; k <= (int)Math.Floor(x) + 2; k++) sum += c[Fold(k, n)] * Beta3(x - k);
        return sum;
    }

    /// <summary>SciPy's zoom of one line from n to count samples: output k at k·(n − 1)/(count − 1).</summary>
    private static double[] Zoom1(double[] f, int count)
    {
        var c = Coefficients(f);
        int n = f.Length;
        return Enumerable.Range(0, count).Select(k => Spline(c, count == 1 ? 0 : k * (n - 1) / (double)(count - 1))).ToArray();
    }

    /// <summary>The reference zoom of a row-major volume (d, h, w), one axis after the other.</summary>
    private static double[] Zoom3(double[] v, int[] shape, int[] size)
    {
        var current = v;
        var dims = (int[])shape.Clone();
        for (int axis = 0; axis < 3; axis++)
        {
            var outDims = (int[])dims.Clone();
            outDims[axis] = size[axis];
            var next = new double[outDims[0] * outDims[1] * outDims[2]];
            int[] strideIn = [dims[1] * dims[2], dims[2], 1], strideOut = [outDims[1] * outDims[2], outDims[2], 1];
            int[] others = [.. Enumerable.Range(0, 3).Where(a => a != axis)];
            for (int p = 0; p < dims[others[0]]; p++)
                for (int q = 0; q < dims[others[1]]; q++)
                {
                    var line = new double[dims[axis]];
                    for (int i = 0; i < line.Length; i++) line[i] = current[p * strideIn[others[0]] + q * strideIn[others[1]] + i * strideIn[axis]];
                    var zoomed = Zoom1(line, size[axis]);
                    for (int i = 0; i < zoomed.Length; i++) next[p * strideOut[others[0]] + q * strideOut[others[1]] + i * strideOut[axis]] = zoomed[i];
                }
            current = next;
            dims = outDims;
        }
        return current;
    }

    private static void AssertClose(double[] expected, Tensor actual, double tolerance, string what)
    {
        var got = actual.to(ScalarType.Float64).cpu().data<double>().ToArray();
        Assert.Equal(expected.Length, got.Length);
        for (int i = 0; i < got.Length; i++)
            Assert.True(Math.Abs(got[i] - expected[i]) <= tolerance, $"{what}: element {i} is {got[i]}, expected {expected[i]}");
    }

    [Fact]
    public void Two_samples_give_the_cubic_spline_values_by_hand()
    {
        // f = (0, 1), mirror boundary: coefficients (−1, 2); between the samples the spline is
        // Σ c_k β3(x − k) with c_{−1} = c_1 and c_2 = c_0: 0.15625 at 1/4, 0.5 at 1/2, 0.84375 at 3/4.
        using var scope = NewDisposeScope();
        var line = tensor(new double[] { 0, 1 }).reshape(1, 1, 1, 2);
        var zoomed = SplineZoom.Resize(line, [1, 1, 5]);
        AssertClose([0, 0.15625, 0.5, 0.84375, 1], zoomed, 1e-15, "(0, 1) → 5 samples");
    }

    [Fact]
    public void A_constant_volume_stays_constant()
    {
        using var scope = NewDisposeScope();
        var v = full([2, 3, 4, 5], 0.7, ScalarType.Float64);
        var zoomed = CamMath.Resize(v, [7, 9, 11]);
        Assert.Equal([2L, 7, 9, 11], zoomed.shape);
        AssertClose(Enumerable.Repeat(0.7, 2 * 7 * 9 * 11).ToArray(), zoomed, 1e-14, "constant");
        var one = full([1, 1, 1, 1], 3.0, ScalarType.Float64);
        AssertClose(Enumerable.Repeat(3.0, 4 * 5 * 6).ToArray(), CamMath.Resize(one, [4, 5, 6]), 1e-14, "one voxel");
    }

    [Fact]
    public void A_linear_ramp_is_interpolated_at_the_samples_and_linear_away_from_the_borders()
    {
        using var scope = NewDisposeScope();
        // 40 samples of 2i + 1 along the depth → 79 samples at half steps (ratio 39/78 = 0.5 exactly).
        var ramp = arange(40, dtype: ScalarType.Float64).mul(2).add(1).reshape(1, 40, 1, 1).expand(1, 40, 2, 3).contiguous();
        var zoomed = CamMath.Resize(ramp, [79, 4, 3]);
        var line = zoomed[0, .., 1, 2].data<double>().ToArray();
        for (int k = 0; k < 79; k++)
        {
            double x = k / 2.0;
            if (k % 2 == 0) Assert.True(Math.Abs(line[k] - (2 * x + 1)) < 1e-12, $"sample {x}: {line[k]}");
            if (x >= 15 && x <= 24) Assert.True(Math.Abs(line[k] - (2 * x + 1)) < 1e-7, $"interior {x}: {line[k]}");
        }
        // The mirror boundary bends the ramp near the ends (the spline is not linear there): SciPy's values.
        var reference = Zoom1(Enumerable.Range(0, 40).Select(i => 2.0 * i + 1).ToArray(), 79);
        for (int k = 0; k < 79; k++) Assert.True(Math.Abs(line[k] - reference[k]) < 1e-11, $"reference at {k / 2.0}: {line[k]} vs {reference[k]}");
        Assert.True(Math.Abs(line[1] - 2.0) > 1e-3, "the ramp is bent at the border");
        // Every row across the other axes is the same.
        Assert.True(zoomed.allclose(zoomed[.., .., 0..1, 0..1].expand_as(zoomed), rtol: 0, atol: 1e-12));
    }

    [Fact]
    public void A_zoom_of_1_is_the_identity()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var v = rand([2, 5, 6, 7], dtype: ScalarType.Float64);
        Assert.True(CamMath.Resize(v, [5, 6, 7]).equal(v).all().item<bool>());
        // Along an axis with factor 1 nothing changes: only the width is interpolated.
        var zoomed = CamMath.Resize(v, [5, 6, 13]);
        for (int b = 0; b < 2; b++)
            for (int i = 0; i < 5; i++)
                for (int j = 0; j < 6; j++)
                {
                    var expected = Zoom1(v[b, i, j].data<double>().ToArray(), 13);
                    AssertClose(expected, zoomed[b, i, j], 1e-13, $"line ({b}, {i}, {j})");
                }
    }

    [Fact]
    public void Random_volumes_match_the_independent_spline()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        int[] shape = [4, 5, 3], size = [9, 7, 8];
        var v = rand([2, .. shape.Select(s => (long)s)], dtype: ScalarType.Float64);
        var zoomed = CamMath.Resize(v, [.. size.Select(s => (long)s)]);
        for (int b = 0; b < 2; b++)
            AssertClose(Zoom3(v[b].data<double>().ToArray(), shape, size), zoomed[b], 1e-13, $"example {b}");
        // float32 maps come back as float32, computed in float64.
        var single = SplineZoom.Resize(v.to(ScalarType.Float32), [.. size.Select(s => (long)s)]);
        Assert.Equal(ScalarType.Float32, single.dtype);
        AssertClose(Zoom3(v[0].to(ScalarType.Float32).to(ScalarType.Float64).data<double>().ToArray(), shape, size), single[0], 1e-6, "float32");
        // Shrinking: 9 → 4 samples.
        var shrunk = CamMath.Resize(v, [2, 3, 2]);
        AssertClose(Zoom3(v[1].data<double>().ToArray(), shape, [2, 3, 2]), shrunk[1], 1e-13, "shrink");
    }

    [Fact]
    public void SciPys_rounding_leaves_the_last_plane_at_zero_and_the_textbook_form_clamps_it()
    {
        using var scope = NewDisposeScope();
        // 8 → 26 samples: 25 · (7/25) rounds above 7 in double, so SciPy's mode 'constant' gives cval = 0 there.
        Assert.True(25 * (7.0 / 25) > 7);
        var v = full([1, 8, 2, 2], 0.5, ScalarType.Float64);
        var scipy = CamMath.Resize(v, [26, 2, 2]);
        AssertClose(Enumerable.Repeat(0.5, 25 * 4).ToArray(), scipy[0, 0..25], 1e-14, "planes 0..24");
        AssertClose(new double[4], scipy[0, 25], 0, "plane 25");
        var textbook = CamMath.Resize(v, [26, 2, 2], quirks: false);
        AssertClose(Enumerable.Repeat(0.5, 26 * 4).ToArray(), textbook, 1e-14, "textbook");
    }

    private static double[] Scale(double[] m)
    {
        double min = m.Min();
        var s = m.Select(v => v - min).ToArray();
        double max = s.Max();
        return s.Select(v => v / (1e-7 + max)).ToArray();
    }

    [Fact]
    public void A_volume_cam_is_pytorch_grad_cams_cubic_zoom_of_the_layer_map()
    {
        using var scope = NewDisposeScope();
        manual_seed(9);
        var model = nn.Sequential(("conv", nn.Conv3d(1, 3, 3, padding: 1)), ("relu", nn.ReLU()), ("pool", nn.AvgPool3d(2)),
            ("gap", nn.AdaptiveAvgPool3d(1)), ("flat", nn.Flatten()), ("fc", nn.Linear(3, 2)));
        model.to(ScalarType.Float64).eval();
        var x = randn([2, 1, 6, 6, 8], dtype: ScalarType.Float64);
        var e = Explain(model).For(Target.PerExample(1, 0));
        foreach (var (method, layers) in new (CamMethod, string[])[]
                 { (GradCam.Default, ["pool"]), (HiResCam.Default, ["pool"]), (GradCam.Default, ["conv", "pool"]), (LayerCam.Default, ["relu", "pool"]) })
        {
            var at = layers.Select(l => new Layer(l)).ToArray();
            var map = e.At(at).With(method).Attribute(x).Value;
            var raws = e.At(at).With(method.Output(CamOutput.Raw)).Attribute(x).Values;
            Assert.Equal([2L, 6, 6, 8], map.shape);
            for (int b = 0; b < 2; b++)
            {
                // pytorch-grad-cam: per layer relu → scale → zoom; then max(·, 0), the mean over layers, scale.
                var perLayer = raws.Select(raw =>
                {
                    var r = raw[b];
                    int[] shape = [.. r.shape.Select(s => (int)s)];
                    var scaled = Scale(r.data<double>().Select(v => Math.Max(v, 0)).ToArray());
                    var zoomed = shape.SequenceEqual([6, 6, 8]) ? scaled : Zoom3(scaled, shape, [6, 6, 8]);
                    return zoomed.Select(v => Math.Max(v, 0)).ToArray();
                }).ToArray();
                var mean = Enumerable.Range(0, perLayer[0].Length).Select(i => perLayer.Average(l => l[i])).ToArray();
                AssertClose(Scale(mean), map[b], 1e-12, $"{method.Name} at {string.Join("+", layers)}, example {b}");
            }
        }
    }
}
