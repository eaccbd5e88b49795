using static TorchSharp.torch;

namespace FluentAttrib.Core.Layers;

/// <summary>
/// The sampling of GradientSHAP (as Captum's NoiseTunnel + InputBaselineXGradient do it): each example is repeated
/// for its samples (example-major), Gaussian noise is added, a baseline is drawn uniformly from the baseline
/// distribution, and a point is drawn uniformly on the segment between them. Uses torch's random generator.
/// </summary>
internal static class ShapSampling
{
    /// <summary>The baseline distribution of each input: (N, ...) rows matching the input's shape after the batch.</summary>
    public static Tensor[] Distributions(Baselines baselines, IReadOnlyList<Tensor> inputs)
    {
        if (baselines.Count != 1 && baselines.Count != inputs.Count)
            throw new ArgumentException($"{baselines.Count} baselines were given for {inputs.Count} inputs; give one distribution per input or one for all.", nameof(baselines));
        var result = new Tensor[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            var rest = inputs[i].shape.AsSpan(1).ToArray();
            if (baselines.ScalarFor(i) is { } d)
            {
                result[i] = full([1, .. rest], d, dtype: inputs[i].dtype, device: inputs[i].device);
                continue;
            }
            var t = baselines.TensorFor(i)!;
            if (t.dim() == rest.Length) t = t.unsqueeze(0);
            if (t.dim() != rest.Length + 1 || !Shapes.Broadcastable(t.shape.AsSpan(1).ToArray(), rest))
                throw new ArgumentException(
                    $"The baseline distribution for input {i} has shape {Shapes.Format(t.shape)}; give (N, ...) rows shaped like one example of input {i}, {Shapes.Format(rest)}.",
                    nameof(baselines));
            result[i] = t.to(inputs[i].dtype, inputs[i].device).expand([t.shape[0], .. rest]);
        }
        return result;
    }

    /// <summary>Draws <paramref name="samples"/> samples per example.</summary>
    /// <returns>The noisy inputs, the drawn baselines and the points between them, each (B·samples, ...), example-major.</returns>
    public static (Tensor[] Noisy, Tensor[] Drawn, Tensor[] Points) Draw(IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> distributions,
        int samples, IReadOnlyList<double> stdevs)
    {
        long rows = inputs[0].shape[0] * samples;
        var noisy = new Tensor[inputs.Count];
        var drawn = new Tensor[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            var x = inputs[i].repeat_interleave(samples, dim: 0);
            double sd = stdevs.Count == 1 ? stdevs[0] : stdevs[i];
            noisy[i] = sd == 0 ? x : x + sd * randn_like(x);
            var idx = randint(0, distributions[i].shape[0], [rows], dtype: ScalarType.Int64, device: inputs[i].device);
            drawn[i] = distributions[i].index_select(0, idx);
        }
        var alpha = rand(rows, dtype: inputs[0].dtype, device: inputs[0].device);
        var points = new Tensor[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            var a = alpha.to(noisy[i].dtype).reshape([rows, .. Enumerable.Repeat(1L, (int)noisy[i].dim() - 1)]);
            points[i] = a * noisy[i] + (1.0 - a) * drawn[i];
        }
        return (noisy, drawn, points);
    }

    /// <summary>Checks stdevs given for a method.</summary>
    public static double[] CheckStdevs(double[] stdevs, string paramName)
    {
        ArgumentNullException.ThrowIfNull(stdevs, paramName);
        if (stdevs.Length == 0) throw new ArgumentException("Give one standard deviation, or one per input.", paramName);
        if (stdevs.Any(s => !(s >= 0) || double.IsInfinity(s)))
            throw new ArgumentOutOfRangeException(paramName, "Standard deviations must be finite and non-negative.");
        return (double[])stdevs.Clone();
    }
}
