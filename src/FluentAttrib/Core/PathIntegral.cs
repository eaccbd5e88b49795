using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib.Core;

/// <summary>
/// The gradients at a chunk of path points — the one thing that differs between the path methods (Captum's
/// <c>gradient_func</c>): input gradients (IntegratedGradients), layer gradients (InternalInfluence,
/// LayerConductance), gradients of an injected layer value (LayerIntegratedGradients), neuron gradients
/// (NeuronIntegratedGradients) or the chain of both (NeuronConductance).
/// </summary>
/// <param name="points">The chunk's points, one tensor per path tensor, step-major: k steps × B rows.</param>
/// <param name="target">The run's target, expanded to the k steps (step-major).</param>
/// <param name="steps">k, the number of path points in the chunk.</param>
/// <returns>
/// One tensor per result, step-major: k·B rows, or (k − 1)·B rows for a pair-wise rule
/// (<see cref="PathRule.Pairwise"/>: one row block per pair of consecutive points).
/// </returns>
internal delegate Tensor[] PathGradients(Tensor[] points, Target target, int steps);

/// <summary>
/// Where a path is evaluated and how its gradients are weighted: the points α on [0, 1] of a quadrature and its
/// step sizes, or (pair-wise, LayerConductance) n + 1 points whose consecutive pairs are summed with weight 1.
/// </summary>
internal sealed class PathRule
{
    private PathRule(double[] alphas, double[]? weights, bool pairwise)
    {
        Alphas = alphas;
        Weights = weights;
        Pairwise = pairwise;
    }

    /// <summary>The points on [0, 1] at which the gradients are taken.</summary>
    public double[] Alphas { get; }

    /// <summary>The step size of each point (null: every contribution has weight 1).</summary>
    public double[]? Weights { get; }

    /// <summary>
    /// True when the gradient function returns one contribution per pair of consecutive points: chunks then overlap
    /// by one point (each has at least 2), as Captum's batching with the end point included does.
    /// </summary>
    public bool Pairwise { get; }

    /// <summary>The <paramref name="steps"/> points and step sizes of <paramref name="quadrature"/>.</summary>
    public static PathRule Of(Quadrature quadrature, int steps)
    {
        var (alphas, weights) = QuadratureRule.Get(quadrature, steps);
        return new(alphas, weights, pairwise: false);
    }

    /// <summary>The <paramref name="steps"/> + 1 points of <paramref name="quadrature"/>, summed pair by pair (conductance).</summary>
    public static PathRule PairsOf(Quadrature quadrature, int steps)
    {
        var (alphas, _) = QuadratureRule.Get(quadrature, steps + 1);
        return new(alphas, null, pairwise: true);
    }
}

/// <summary>
/// The one path-integration engine: Σ w_k · g(b + α_k(x − b)) over a rule's points, for any gradient function
/// <see cref="PathGradients"/>. It chunks the points by the internal batch size (or the memory budget), builds each
/// chunk's points, reports progress, honours cancellation and forms the weighted sum; the six path methods differ
/// only in their gradient function and in what they do with the sums.
/// </summary>
internal static class PathIntegral
{
    /// <summary>
    /// Integrates <paramref name="gradients"/> along the straight lines from <paramref name="starts"/> to
    /// <paramref name="ends"/> (each (B, ...), e.g. baselines and inputs, or a layer's values for them).
    /// </summary>
    /// <param name="ctx">The run: target, memory budget, progress, cancellation.</param>
    /// <param name="starts">The path's start, one tensor per path tensor.</param>
    /// <param name="ends">The path's end, shaped like <paramref name="starts"/>.</param>
    /// <param name="rule">The points and weights.</param>
    /// <param name="internalBatch">Examples (path points × batch) per pass, or null to plan from the memory budget.</param>
    /// <param name="method">The method's name, for progress reports.</param>
    /// <param name="gradients">The gradients at a chunk's points.</param>
    /// <returns>One (B, ...) sum per tensor the gradient function returns, in the caller's dispose scope.</returns>
    public static Tensor[] Integrate(AttributionContext ctx, IReadOnlyList<Tensor> starts, IReadOnlyList<Tensor> ends, PathRule rule,
        int? internalBatch, string method, PathGradients gradients)
    {
        long batch = ctx.BatchSize;
        int points = rule.Alphas.Length;
        int perPass = internalBatch ?? BatchPlanner.ExamplesPerPass(ctx, ctx.Inputs, withGradients: true);
        var chunks = rule.Pairwise ? PathSteps.OverlappingChunks(points, batch, perPass) : StepChunks.Split(points, batch, perPass);
        Tensor[]? totals = null;
        foreach (var (start, end) in chunks)
        {
            ctx.ThrowIfCancelled();
            using var scope = NewDisposeScope();
            int k = end - start;
            Tensor[] at;
            using (no_grad())
                at = PathSteps.Points(ends, starts, rule.Alphas.AsSpan(start, k));
            var grads = gradients(at, ctx.Target.Expand(k, interleave: false), k);
            int rows = rule.Pairwise ? k - 1 : k;
            var parts = new Tensor[grads.Length];
            for (int i = 0; i < grads.Length; i++)
                parts[i] = rule.Weights is { } w
                    ? PathSteps.WeightedSum(grads[i], w.AsSpan(start, rows))
                    : grads[i].reshape([rows, batch, .. grads[i].shape.AsSpan(1)]).sum(dim: 0);
            if (totals is null) totals = parts.Select(p => p.MoveToOuterDisposeScope()).ToArray();
            else for (int i = 0; i < parts.Length; i++) totals[i].add_(parts[i]);
            ctx.Report(method, end, points);
        }
        return totals!;
    }

    /// <summary>The gradients of the target outputs with respect to the points themselves (Integrated Gradients).</summary>
    public static PathGradients InputGradients(AttributionContext ctx) =>
        (points, target, steps) => Gradients.Compute(ctx, points, target, steps).Gradients;

    /// <summary>Σ step·∇F(b + α(x − b)) over a quadrature's points (Integrated Gradients before multiplying by inputs).</summary>
    public static Tensor[] IntegrateGradients(AttributionContext ctx, Tensor[] inputs, Tensor[] baselines, int steps,
        Quadrature quadrature, int? internalBatch, string method) =>
        Integrate(ctx, baselines, inputs, PathRule.Of(quadrature, steps), internalBatch, method, InputGradients(ctx));
}
