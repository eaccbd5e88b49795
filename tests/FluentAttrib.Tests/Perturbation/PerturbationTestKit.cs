using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FluentAttrib.Tests.Perturbation;

/// <summary>Small models, brute-force references and assertions shared by the perturbation tests.</summary>
internal static class PerturbationTestKit
{
    private static readonly object Seeding = new();

    /// <summary>A 6 → 5 (tanh) → 3 MLP with fixed weights.</summary>
    public static Sequential Mlp(ScalarType dtype = ScalarType.Float64)
    {
        lock (Seeding)
        {
            TorchRuntime.EnsureLoaded();
            using var g = new Generator(7);
            var fc1 = Linear(6, 5);
            var fc2 = Linear(5, 3);
            using (no_grad())
            {
                foreach (var p in fc1.parameters().Concat(fc2.parameters()))
                    p.copy_(randn(p.shape, generator: g) * 0.7);
            }
            var model = Sequential(("fc1", fc1), ("act", Tanh()), ("fc2", fc2));
            model.to(dtype);
            model.eval();
            return model;
        }
    }

    /// <summary>A small CNN (B, 2, 6, 7) → (B, 3).</summary>
    public static Sequential Cnn(ScalarType dtype = ScalarType.Float64)
    {
        lock (Seeding)
        {
            TorchRuntime.EnsureLoaded();
            using var g = new Generator(11);
            var conv = Conv2d(2, 4, 3, padding: 1);
            var fc = Linear(4 * 3 * 3, 3);
            using (no_grad())
            {
                foreach (var p in conv.parameters().Concat(fc.parameters()))
                    p.copy_(randn(p.shape, generator: g) * 0.5);
            }
            var model = Sequential(("conv", conv), ("relu", ReLU()), ("pool", AdaptiveAvgPool2d(3)), ("flat", Flatten()), ("fc", fc));
            model.to(dtype);
            model.eval();
            return model;
        }
    }

    /// <summary>Fixed pseudo-random data of the given shape.</summary>
    public static Tensor Data(long seed, ScalarType dtype, params long[] shape)
    {
        using var g = new Generator((ulong)seed);
        return randn(shape, generator: g).to(dtype);
    }

    public static void AssertClose(Tensor expected, Tensor actual, double atol = 1e-10, double rtol = 1e-7)
    {
        Assert.Equal(expected.shape, actual.shape);
        var e = expected.detach().to(ScalarType.Float64).cpu().data<double>().ToArray();
        var a = actual.detach().to(ScalarType.Float64).cpu().data<double>().ToArray();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(a[i] - e[i]) <= atol + rtol * Math.Abs(e[i]), $"element {i}: {a[i]:R} but expected {e[i]:R}");
    }

    /// <summary>Selected output per example of <paramref name="model"/> on <paramref name="x"/> for class <paramref name="target"/>.</summary>
    public static double[] Outputs(Module<Tensor, Tensor> model, Tensor x, long target)
    {
        using var _ = no_grad();
        return model.call(x)[.., target].to(ScalarType.Float64).data<double>().ToArray();
    }

    /// <summary>
    /// Brute-force occlusion of a single input, one window at a time with explicit loops (the definition in SCHEMA §7).
    /// </summary>
    public static Tensor ReferenceOcclusion(Module<Tensor, Tensor> model, Tensor x, long target, long[] window, long[] stride, double baseline)
    {
        long batch = x.shape[0];
        long[] shape = x.shape[1..];
        int n = shape.Length;
        var counts = shape.Select((d, i) => (d - window[i] + stride[i] - 1) / stride[i] + 1).ToArray();
        var sum = zeros([.. x.shape], dtype: ScalarType.Float64);
        var cover = zeros([.. x.shape], dtype: ScalarType.Float64);
        var full = Outputs(model, x, target);
        var index = new long[n];
        while (true)
        {
            var occluded = x.clone();
            var region = occluded;
            var coverRegion = cover;
            var sumRegion = sum;
            for (int d = 0; d < n; d++)
            {
                long start = index[d] * stride[d];
                long length = Math.Min(start + window[d], shape[d]) - start;
                region = region.narrow(d + 1, start, length);
                coverRegion = coverRegion.narrow(d + 1, start, length);
                sumRegion = sumRegion.narrow(d + 1, start, length);
            }
            region.fill_(baseline);
            var outs = Outputs(model, occluded, target);
            for (long b = 0; b < batch; b++)
            {
                sumRegion[b].add_(full[b] - outs[b]);
                coverRegion[b].add_(1.0);
            }
            int k = n - 1;
            while (k >= 0 && ++index[k] == counts[k]) index[k--] = 0;
            if (k < 0) break;
        }
        return sum / cover;
    }

    /// <summary>
    /// Shapley values by Captum's definition: the marginal gain of each feature averaged over all n! orders in which
    /// features (groups of <paramref name="mask"/>, shared by the batch) are added to the baseline.
    /// </summary>
    public static Tensor ReferenceShapley(Module<Tensor, Tensor> model, Tensor x, long target, long[] mask, double baseline)
    {
        long batch = x.shape[0];
        long width = x.shape[1];
        int n = (int)mask.Max() + 1;
        var phi = new double[batch, n];
        int orders = 0;
        foreach (var order in Permutations(Enumerable.Range(0, n).ToArray()))
        {
            orders++;
            var current = full_like(x, baseline);
            var previous = Outputs(model, current, target);
            foreach (int f in order)
            {
                for (long j = 0; j < width; j++)
                    if (mask[j] == f) current[.., j] = x[.., j];
                var now = Outputs(model, current, target);
                for (long b = 0; b < batch; b++) phi[b, f] += now[b] - previous[b];
                previous = now;
            }
        }
        var result = zeros(batch, width, dtype: ScalarType.Float64);
        for (long b = 0; b < batch; b++)
            for (long j = 0; j < width; j++)
                result[b, j] = phi[b, mask[j]] / orders;
        return result;
    }

    private static IEnumerable<int[]> Permutations(int[] items)
    {
        if (items.Length <= 1) { yield return items; yield break; }
        for (int i = 0; i < items.Length; i++)
        {
            var rest = items.Where((_, j) => j != i).ToArray();
            foreach (var p in Permutations(rest)) yield return [items[i], .. p];
        }
    }

    /// <summary>Records progress synchronously (System.Progress posts asynchronously).</summary>
    public sealed class Recorder(Action<AttributionProgress>? onReport = null) : IProgress<AttributionProgress>
    {
        public List<AttributionProgress> Reports { get; } = [];

        public void Report(AttributionProgress value)
        {
            Reports.Add(value);
            onReport?.Invoke(value);
        }
    }
}
