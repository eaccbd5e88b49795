using static TorchSharp.torch;

namespace FluentAttrib.Core.Layers;

/// <summary>
/// Helpers shared by the path methods (IntegratedGradients, InternalInfluence, LayerConductance, LIG, NIG, NC): the
/// validation of their step and quadrature settings, and the path points and weights.
/// </summary>
internal static class PathSteps
{
    /// <summary>Checks a step count for a quadrature (used when a method is built).</summary>
    public static void Check(int steps, Quadrature quadrature, string paramName, string method)
    {
        if (steps < 1) throw new ArgumentOutOfRangeException(paramName, steps, $"{method} needs at least 1 step.");
        if (quadrature == Quadrature.RiemannTrapezoid && steps < 2)
            throw new ArgumentOutOfRangeException(paramName, steps, "The trapezoid rule needs at least 2 steps.");
    }

    /// <summary>Checks a quadrature value.</summary>
    public static void CheckQuadrature(Quadrature quadrature, string paramName)
    {
        if (!Enum.IsDefined(quadrature)) throw new ArgumentOutOfRangeException(paramName, quadrature, "Unknown quadrature.");
    }

    /// <summary>Checks a new quadrature value and that the current step count suits it (used by <c>Method(...)</c>).</summary>
    public static void CheckRule(Quadrature quadrature, int steps, string paramName, string method)
    {
        CheckQuadrature(quadrature, paramName);
        Check(steps, quadrature, paramName, method);
    }

    /// <summary>Examples per forward/backward pass: the explicit setting, or what the memory budget allows.</summary>
    public static int PerPass(AttributionContext ctx, IReadOnlyList<Tensor> inputs, int? internalBatch, bool withGradients = true) =>
        internalBatch ?? BatchPlanner.ExamplesPerPass(ctx, inputs, withGradients);

    /// <summary>The points b + α(x − b) for α in <paramref name="alphas"/>, concatenated step-major (B·k rows).</summary>
    public static Tensor[] Points(IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> baselines, ReadOnlySpan<double> alphas)
    {
        var result = new Tensor[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            var diff = inputs[i] - baselines[i];
            var points = new Tensor[alphas.Length];
            for (int s = 0; s < alphas.Length; s++) points[s] = baselines[i] + alphas[s] * diff;
            result[i] = cat(points, 0);
        }
        return result;
    }

    /// <summary>Σ_s w_s · g_s over the k steps of a step-major (k·B, ...) tensor, as a (B, ...) tensor.</summary>
    public static Tensor WeightedSum(Tensor stepMajor, ReadOnlySpan<double> weights)
    {
        int k = weights.Length;
        long rows = stepMajor.shape[0] / k;
        var shape = stepMajor.shape.AsSpan(1).ToArray();
        var w = tensor(weights.ToArray(), dtype: stepMajor.dtype, device: stepMajor.device)
            .reshape([k, .. Enumerable.Repeat(1L, shape.Length + 1)]);
        return (stepMajor.reshape([k, rows, .. shape]) * w).sum(dim: 0);
    }

    /// <summary>
    /// Chunks of path points [start, end) for methods that difference consecutive points (LayerConductance): each
    /// chunk has at least 2 points and starts at the previous chunk's last point, as Captum's batching does.
    /// </summary>
    public static IEnumerable<(int Start, int End)> OverlappingChunks(int points, long batch, int internalBatchSize)
    {
        int perChunk = Math.Max(2, (int)Math.Max(1, internalBatchSize / Math.Max(1, batch)));
        int start = 0;
        while (true)
        {
            int end = Math.Min(points, start + perChunk);
            yield return (start, end);
            if (end >= points) yield break;
            start = end - 1;
        }
    }

    /// <summary>Repeats each input <paramref name="times"/> times along the batch, copy after copy (step-major).</summary>
    public static Tensor[] Tile(IReadOnlyList<Tensor> inputs, int times) =>
        times == 1 ? inputs.ToArray() : inputs.Select(x => cat(Enumerable.Repeat(x, times).ToArray(), 0)).ToArray();
}
