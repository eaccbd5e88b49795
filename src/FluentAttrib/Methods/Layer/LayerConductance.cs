using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Layer Conductance (Dhamdhere et al., 2018): the flow of Integrated Gradients through each neuron of the layer,
/// Σ_k ∂F/∂layer(α_k) · (layer(α_{k+1}) − layer(α_k)) along the input-space path from the baseline, using the n + 1
/// points of the integration rule (Captum's <c>LayerConductance</c>). Its sum per example approximates
/// F(input) − F(baseline) (<see cref="WithDelta"/>).
/// </summary>
public sealed record LayerConductance : LayerAttributionMethod
{
    private LayerConductance() { }

    /// <summary>50 Gauss–Legendre steps from a zero baseline, no delta.</summary>
    public static LayerConductance Default { get; } = new();

    /// <summary>The default method with <paramref name="steps"/> steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> is less than 1.</exception>
    public static LayerConductance Steps(int steps) => Default.WithSteps(steps);

    /// <summary>Number of steps (the rule is evaluated at steps + 1 points). <value>The default value is 50.</value></summary>
    public int StepCount { get; private init; } = 50;

    /// <summary>Integration rule whose points are used. <value>The default value is <see cref="Quadrature.GaussLegendre"/>.</value></summary>
    public Quadrature Quadrature { get; private init; } = Quadrature.GaussLegendre;

    /// <summary>Baselines the path starts from (input space). <value>The default value is zero.</value></summary>
    public Baselines Baselines { get; private init; } = Baselines.Zero;

    /// <summary>Examples per forward/backward pass, or null to choose from the memory budget. <value>The default value is null.</value></summary>
    public int? InternalBatch { get; private init; }

    /// <summary>Whether the convergence delta is computed. <value>The default value is false.</value></summary>
    public bool ReturnsDelta { get; private init; }

    /// <summary>Uses <paramref name="steps"/> steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public LayerConductance WithSteps(int steps)
    {
        PathSteps.Check(steps, Quadrature.GaussLegendre, nameof(steps), Name);
        return this with { StepCount = steps };
    }

    /// <summary>Uses the points of the integration rule <paramref name="quadrature"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Unknown rule.</exception>
    public LayerConductance Method(Quadrature quadrature)
    {
        PathSteps.CheckQuadrature(quadrature, nameof(quadrature));
        return this with { Quadrature = quadrature };
    }

    /// <summary>Starts the path at <paramref name="baselines"/>.</summary>
    public LayerConductance Baseline(Baselines baselines)
    {
        ArgumentNullException.ThrowIfNull(baselines);
        return this with { Baselines = baselines };
    }

    /// <summary>Evaluates at most <paramref name="examples"/> path points per pass (at least 2 points per example are used).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public LayerConductance InternalBatchSize(int examples)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(examples, 1);
        return this with { InternalBatch = examples };
    }

    /// <summary>Also computes the convergence delta Σ attribution − (F(input) − F(baseline)).</summary>
    public LayerConductance WithDelta(bool delta = true) => this with { ReturnsDelta = delta };

    /// <inheritdoc />
    public override string Name => nameof(LayerConductance);

    /// <inheritdoc />
    public override string Describe() => $"{Name}({StepCount} steps, {Quadrature}, baselines {Baselines})";

    internal override Attribution Attribute(LayerContext context)
    {
        var run = context.Run;
        var inputs = run.Inputs;
        long batch = run.BatchSize;
        int points = StepCount + 1;
        var (alphas, _) = QuadratureRule.Get(Quadrature, points);
        using var outer = NewDisposeScope();
        var baselines = Baselines.MaterializeAll(inputs);
        int perPass = PathSteps.PerPass(run, inputs, InternalBatch);
        Tensor? total = null;
        foreach (var (start, end) in PathSteps.OverlappingChunks(points, batch, perPass))
        {
            run.ThrowIfCancelled();
            using var scope = NewDisposeScope();
            int k = end - start;
            var pts = PathSteps.Points(inputs, baselines, alphas.AsSpan(start, k));
            var (grads, values, _) = LayerProbe.Gradients(run, pts, context.Layers, context.ToInput, run.Target.Expand(k, interleave: false), k);
            long rows = batch * (k - 1);
            var diffs = values[0].narrow(0, batch, rows) - values[0].narrow(0, 0, rows);
            var part = (grads[0].narrow(0, 0, rows) * diffs).reshape([k - 1, batch, .. values[0].shape.AsSpan(1).ToArray()]).sum(dim: 0);
            total = total is null ? part.MoveToOuterDisposeScope() : total.add_(part);
            run.Report(Name, end, points);
        }
        var attribution = total!.MoveToOuterDisposeScope();
        Tensor? delta = ReturnsDelta ? Convergence.Delta(run, [attribution], baselines, inputs, run.Target).MoveToOuterDisposeScope() : null;
        return Result(context, [attribution], delta);
    }
}
