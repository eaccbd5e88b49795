using static TorchSharp.torch;

namespace FluentAttrib.Core.Layers;

/// <summary>
/// One chunk of GradientSHAP samples: m samples of every example, example-major (B·m rows).
/// </summary>
/// <param name="Noisy">The inputs with their noise, one tensor per input.</param>
/// <param name="Drawn">The baselines drawn for them.</param>
/// <param name="Points">The points between them at which gradients are taken.</param>
/// <param name="Samples">m, the samples per example in this chunk.</param>
/// <param name="Target">The run's target, expanded to the m samples (example-major).</param>
internal sealed record ShapChunk(Tensor[] Noisy, Tensor[] Drawn, Tensor[] Points, int Samples, Target Target);

/// <summary>
/// The one sampler of GradientSHAP and its layer and neuron forms (as Captum's NoiseTunnel + InputBaselineXGradient
/// do it): per example and sample, Gaussian noise is added to each input, a baseline is drawn uniformly from each
/// input's distribution and one α ~ U(0, 1), shared by the inputs, places the point α·noisy + (1 − α)·baseline.
/// Every random number of a call is drawn up front, from a generator seeded with the method's seed (or torch's
/// default generator), so results do not depend on how the samples are split into passes.
/// </summary>
internal static class ShapSampling
{
    /// <summary>
    /// The baseline distribution of each input in its dtype and device, (N, ...) rows shaped like (or broadcastable to)
    /// one example of the input; a single zero row when <paramref name="distribution"/> is empty.
    /// </summary>
    public static Tensor[] Distributions(IReadOnlyList<Tensor> distribution, IReadOnlyList<Tensor> inputs, string method)
    {
        var result = new Tensor[inputs.Count];
        if (distribution.Count == 0)
        {
            for (int i = 0; i < inputs.Count; i++)
                result[i] = zeros([1, .. inputs[i].shape.AsSpan(1)], dtype: inputs[i].dtype, device: inputs[i].device);
            return result;
        }
        if (distribution.Count != inputs.Count)
            throw new ArgumentException($"{method} got {distribution.Count} baseline distributions for {inputs.Count} inputs; give one per input.", "distribution");
        for (int i = 0; i < inputs.Count; i++)
        {
            var rest = inputs[i].shape.AsSpan(1).ToArray();
            var t = distribution[i];
            if (t.dim() != rest.Length + 1 || !Shapes.Broadcastable(t.shape.AsSpan(1).ToArray(), rest))
                throw new ArgumentException(
                    $"Baseline distribution {i} has shape {Shapes.Format(t.shape)}; give (N, ...) rows shaped like one example of input {i}, {Shapes.Format(rest)}.",
                    "distribution");
            result[i] = t.to(inputs[i].dtype, inputs[i].device).expand([t.shape[0], .. rest]);
        }
        return result;
    }

    /// <summary>
    /// Draws <paramref name="samples"/> samples of every example of the run's inputs once, then evaluates them
    /// in chunks of whole samples (at most <paramref name="internalBatch"/> rows per pass, or what the memory budget
    /// allows) and averages the attributions over the samples.
    /// </summary>
    /// <param name="ctx">The run: inputs, target, memory budget, progress, cancellation.</param>
    /// <param name="distribution">The method's baseline distribution (empty: a zero baseline).</param>
    /// <param name="samples">Samples per example.</param>
    /// <param name="stdDevs">The noise: one standard deviation, or one per input.</param>
    /// <param name="seed">The seed, or null for torch's default generator.</param>
    /// <param name="internalBatch">Rows per pass, or null to plan from the memory budget.</param>
    /// <param name="method">The method's name (messages, progress).</param>
    /// <param name="evaluate">
    /// The attributions of a chunk, one (B·m, ...) tensor per result, and optionally the convergence delta of each row
    /// (B·m, example-major).
    /// </param>
    /// <returns>The mean attributions, (B, ...) each, and the deltas (B·samples, example-major) when returned.</returns>
    public static (Tensor[] Mean, Tensor? Delta) Attribute(AttributionContext ctx, IReadOnlyList<Tensor> distribution, int samples,
        IReadOnlyList<double> stdDevs, long? seed, int? internalBatch, string method, Func<ShapChunk, (Tensor[] Attributions, Tensor? Delta)> evaluate)
    {
        var inputs = ctx.Inputs;
        long batch = ctx.BatchSize;
        int n = samples;
        if (stdDevs.Count != 1 && stdDevs.Count != inputs.Length)
            throw new ArgumentException($"{stdDevs.Count} standard deviations were given for {inputs.Length} inputs; give one, or one per input.", "stdDevs");
        using var scope = NewDisposeScope();
        var distributions = Distributions(distribution, inputs, method);
        var device = inputs[0].device;
        using var generator = seed is { } s ? new Generator(unchecked((ulong)s), device) : null;

        // Every random number up front: noise, baseline picks, α.
        var noise = new Tensor?[inputs.Length];
        var picks = new Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            double sd = stdDevs.Count == 1 ? stdDevs[0] : stdDevs[i];
            var x = inputs[i];
            noise[i] = sd == 0 ? null : randn([batch, n, .. x.shape.AsSpan(1)], dtype: x.dtype, device: x.device, generator: generator) * sd;
            picks[i] = randint(distributions[i].shape[0], [batch, n], dtype: ScalarType.Int64, device: device, generator: generator);
        }
        var alphas = rand([batch, n], dtype: inputs[0].dtype, device: device, generator: generator);

        int perPass = internalBatch ?? BatchPlanner.ExamplesPerPass(ctx, inputs, withGradients: true);
        Tensor[]? totals = null;
        var deltas = new List<Tensor>();
        foreach (var (start, end) in StepChunks.Split(n, batch, perPass))
        {
            ctx.ThrowIfCancelled();
            using var chunkScope = NewDisposeScope();
            int m = end - start;
            var noisy = new Tensor[inputs.Length];
            var drawn = new Tensor[inputs.Length];
            var points = new Tensor[inputs.Length];
            var alpha = alphas[.., start..end].reshape(-1);
            for (int i = 0; i < inputs.Length; i++)
            {
                var x = inputs[i];
                var repeated = x.repeat_interleave(m, dim: 0);
                noisy[i] = noise[i] is { } z ? repeated + z[.., start..end].reshape([batch * m, .. x.shape.AsSpan(1)]) : repeated;
                drawn[i] = distributions[i].index_select(0, picks[i][.., start..end].reshape(-1));
                var a = alpha.to(x.dtype).reshape([batch * m, .. Enumerable.Repeat(1L, (int)x.dim() - 1)]);
                points[i] = a * noisy[i] + (1.0 - a) * drawn[i];
            }
            var (attributions, delta) = evaluate(new ShapChunk(noisy, drawn, points, m, ctx.Target.Expand(m, interleave: true)));
            var parts = attributions.Select(t => t.reshape([batch, m, .. t.shape.AsSpan(1)]).sum(dim: 1)).ToArray();
            if (totals is null) totals = parts.Select(p => p.MoveToOuterDisposeScope()).ToArray();
            else for (int i = 0; i < parts.Length; i++) totals[i].add_(parts[i]);
            if (delta is not null) deltas.Add(delta.reshape(batch, m).MoveToOuterDisposeScope());
            ctx.Report(method, end, n);
        }
        var mean = totals!.Select(t => (t / n).MoveToOuterDisposeScope()).ToArray();
        var deltaAll = deltas.Count > 0 ? cat(deltas, 1).reshape(-1).MoveToOuterDisposeScope() : null;
        return (mean, deltaAll);
    }
}
