using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Internal Influence (Leino et al., 2018): the integral of the layer's gradients along the straight path from the
/// baseline to the input (in input space), without multiplying by anything. Captum's <c>InternalInfluence</c>.
/// </summary>
public sealed record InternalInfluence : LayerAttributionMethod
{
    private InternalInfluence() { }

    /// <summary>50 Gauss–Legendre steps from a zero baseline.</summary>
    public static InternalInfluence Default { get; } = new();

    /// <summary>The default method with <paramref name="steps"/> steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> is less than 1.</exception>
    public static InternalInfluence Steps(int steps) => Default.WithSteps(steps);

    /// <summary>Number of integration steps. <value>The default value is 50.</value></summary>
    public int StepCount { get; private init; } = 50;

    /// <summary>Integration rule. <value>The default value is <see cref="Quadrature.GaussLegendre"/>.</value></summary>
    public Quadrature Quadrature { get; private init; } = Quadrature.GaussLegendre;

    /// <summary>Baselines the path starts from (in input space). <value>The default value is zero.</value></summary>
    public Baselines Baselines { get; private init; } = Baselines.Zero;

    /// <summary>Examples per forward/backward pass, or null to choose from the memory budget. <value>The default value is null.</value></summary>
    public int? InternalBatch { get; private init; }

    /// <summary>Uses <paramref name="steps"/> integration steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1 (2 for the trapezoid rule).</exception>
    public InternalInfluence WithSteps(int steps)
    {
        PathSteps.Check(steps, Quadrature, nameof(steps), Name);
        return this with { StepCount = steps };
    }

    /// <summary>Uses the integration rule <paramref name="quadrature"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Unknown rule, or the trapezoid rule with fewer than 2 steps.</exception>
    public InternalInfluence Method(Quadrature quadrature)
    {
        PathSteps.CheckRule(quadrature, StepCount, nameof(quadrature), Name);
        return this with { Quadrature = quadrature };
    }

    /// <summary>Starts the path at <paramref name="baselines"/>.</summary>
    public InternalInfluence Baseline(Baselines baselines)
    {
        ArgumentNullException.ThrowIfNull(baselines);
        return this with { Baselines = baselines };
    }

    /// <summary>Evaluates at most <paramref name="examples"/> path points per pass (Captum's <c>internal_batch_size</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public InternalInfluence InternalBatchSize(int examples)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(examples, 1);
        return this with { InternalBatch = examples };
    }

    /// <inheritdoc />
    public override string Name => nameof(InternalInfluence);

    /// <inheritdoc />
    public override string Describe() => $"{Name}({StepCount} steps, {Quadrature}, baselines {Baselines})";

    internal override Attribution Attribute(LayerContext context)
    {
        var run = context.Run;
        var inputs = run.Inputs;
        long batch = run.BatchSize;
        var (alphas, weights) = QuadratureRule.Get(Quadrature, StepCount);
        using var outer = NewDisposeScope();
        var baselines = Baselines.MaterializeAll(inputs);
        int perPass = PathSteps.PerPass(run, inputs, InternalBatch);
        Tensor? total = null;
        int done = 0;
        foreach (var (start, end) in Core.StepChunks.Split(StepCount, batch, perPass))
        {
            run.ThrowIfCancelled();
            using var scope = NewDisposeScope();
            int k = end - start;
            var points = PathSteps.Points(inputs, baselines, alphas.AsSpan(start, k));
            var (grads, _, _) = LayerProbe.Gradients(run, points, context.Layers, context.ToInput, run.Target.Expand(k, interleave: false), k);
            var part = PathSteps.WeightedSum(grads[0], weights.AsSpan(start, k));
            total = total is null ? part.MoveToOuterDisposeScope() : total.add_(part);
            done += k;
            run.Report(Name, done, StepCount);
        }
        return Result(context, [total!.MoveToOuterDisposeScope()]);
    }
}
