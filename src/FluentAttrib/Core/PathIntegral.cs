using static TorchSharp.torch;

namespace FluentAttrib.Core;

/// <summary>Σ step·∇F(b + α(x − b)) over a quadrature's points, evaluated in chunks of whole steps.</summary>
internal static class PathIntegral
{
    public static Tensor[] IntegrateGradients(AttributionContext ctx, Tensor[] inputs, Tensor[] baselines, int steps,
        Quadrature quadrature, int? internalBatch, string method)
    {
        var (alphas, stepSizes) = QuadratureRule.Get(quadrature, steps);
        long batch = inputs[0].shape[0];
        int perPass = internalBatch ?? BatchPlanner.ExamplesPerPass(ctx, inputs, withGradients: true);
        var totals = inputs.Select(x => zeros_like(x)).ToArray();
        int done = 0;
        foreach (var (start, end) in StepChunks.Split(steps, batch, perPass))
        {
            ctx.ThrowIfCancelled();
            using var scope = NewDisposeScope();
            int k = end - start;
            var scaled = new Tensor[inputs.Length];
            for (int i = 0; i < inputs.Length; i++)
            {
                var diff = inputs[i] - baselines[i];
                var points = new Tensor[k];
                for (int s = 0; s < k; s++) points[s] = baselines[i] + alphas[start + s] * diff;
                scaled[i] = cat(points, 0);
            }
            var (grads, _) = Gradients.Compute(ctx, scaled, ctx.Target.Expand(k, interleave: false), k);
            for (int i = 0; i < inputs.Length; i++)
            {
                var weights = tensor(stepSizes[start..end], dtype: grads[i].dtype, device: grads[i].device)
                    .reshape([k, .. Enumerable.Repeat(1L, (int)inputs[i].dim())]);
                var weighted = grads[i].reshape([k, .. inputs[i].shape]) * weights;
                totals[i].add_(weighted.sum(dim: 0));
            }
            done += k;
            ctx.Report(method, done, steps);
        }
        return totals;
    }
}
