using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Layer Integrated Gradients: Integrated Gradients in the space of a layer's values. The layer's value is moved on a
/// straight line from its value for the baselines to its value for the inputs, injected into the model at each step,
/// and the gradients are integrated. On an Embedding layer the baselines are token ids (e.g. a padding id), so the
/// path runs between embeddings. Several layers at once are allowed. Captum's <c>LayerIntegratedGradients</c>.
/// </summary>
public sealed record LayerIntegratedGradients : MultiLayerAttributionMethod
{
    private LayerIntegratedGradients() { }

    /// <summary>50 Gauss–Legendre steps from zero baselines (in input space), multiplied by the layer difference, no delta.</summary>
    public static LayerIntegratedGradients Default { get; } = new();

    /// <summary>The default method with <paramref name="steps"/> steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> is less than 1.</exception>
    public static LayerIntegratedGradients Steps(int steps) => Default.WithSteps(steps);

    /// <summary>Number of integration steps. <value>The default value is 50.</value></summary>
    public int StepCount { get; private init; } = 50;

    /// <summary>Integration rule. <value>The default value is <see cref="Quadrature.GaussLegendre"/>.</value></summary>
    public Quadrature Quadrature { get; private init; } = Quadrature.GaussLegendre;

    /// <summary>
    /// Baselines in input space (token ids for text models); the path starts at the layer's value for them.
    /// <value>The default value is zero.</value>
    /// </summary>
    public Baselines Baselines { get; private init; } = Baselines.Zero;

    /// <summary>Examples per forward/backward pass, or null to choose from the memory budget. <value>The default value is null.</value></summary>
    public int? InternalBatch { get; private init; }

    /// <summary>Whether the integrated gradients are multiplied by the layer difference. <value>The default value is true.</value></summary>
    public bool MultipliesByInputs { get; private init; } = true;

    /// <summary>Whether the convergence delta is computed. <value>The default value is false.</value></summary>
    public bool ReturnsDelta { get; private init; }

    /// <summary>Uses <paramref name="steps"/> integration steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1 (2 for the trapezoid rule).</exception>
    public LayerIntegratedGradients WithSteps(int steps)
    {
        PathSteps.Check(steps, Quadrature, nameof(steps), Name);
        return this with { StepCount = steps };
    }

    /// <summary>Uses the integration rule <paramref name="quadrature"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Unknown rule, or the trapezoid rule with fewer than 2 steps.</exception>
    public LayerIntegratedGradients Method(Quadrature quadrature)
    {
        PathSteps.CheckRule(quadrature, StepCount, nameof(quadrature), Name);
        return this with { Quadrature = quadrature };
    }

    /// <summary>Starts the path at the layer's value for <paramref name="baselines"/> (input space).</summary>
    public LayerIntegratedGradients Baseline(Baselines baselines)
    {
        ArgumentNullException.ThrowIfNull(baselines);
        return this with { Baselines = baselines };
    }

    /// <summary>Evaluates at most <paramref name="examples"/> path points per pass (Captum's <c>internal_batch_size</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public LayerIntegratedGradients InternalBatchSize(int examples)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(examples, 1);
        return this with { InternalBatch = examples };
    }

    /// <summary>Returns (layer(input) − layer(baseline)) × integrated gradients (true) or the integrated gradients alone.</summary>
    public LayerIntegratedGradients MultiplyByInputs(bool multiply = true) => this with { MultipliesByInputs = multiply };

    /// <summary>Also computes the convergence delta Σ attribution − (F(input) − F(baseline)).</summary>
    public LayerIntegratedGradients WithDelta(bool delta = true) => this with { ReturnsDelta = delta };

    /// <inheritdoc />
    public override string Name => nameof(LayerIntegratedGradients);

    /// <inheritdoc />
    public override string Describe() => $"{Name}({StepCount} steps, {Quadrature}, baselines {Baselines})";

    internal override Attribution Attribute(LayerContext context)
    {
        var run = context.Run;
        var inputs = run.Inputs;
        long batch = run.BatchSize;
        var layers = context.Layers;
        var (alphas, weights) = QuadratureRule.Get(Quadrature, StepCount);
        using var outer = NewDisposeScope();
        var baselines = Baselines.MaterializeAll(inputs).Select(b => b.contiguous()).ToArray();
        var (atInputs, _) = LayerProbe.Evaluate(run, inputs, layers, context.ToInput);
        var (atBaselines, _) = LayerProbe.Evaluate(run, baselines, layers, context.ToInput);
        for (int l = 0; l < layers.Count; l++)
            if (!atInputs[l].is_floating_point())
                throw new InvalidOperationException(
                    $"The {(context.ToInput ? "input" : "output")} of layer {layers[l]} has dtype {atInputs[l].dtype}; integrating gradients needs floating-point layer values.");
        int perPass = PathSteps.PerPass(run, inputs, InternalBatch);
        var totals = atInputs.Select(a => zeros_like(a)).ToArray();
        int done = 0;
        foreach (var (start, end) in StepChunks.Split(StepCount, batch, perPass))
        {
            run.ThrowIfCancelled();
            using var scope = NewDisposeScope();
            int k = end - start;
            Tensor[] leaves;
            using (no_grad())
                leaves = PathSteps.Points(atInputs, atBaselines, alphas.AsSpan(start, k));
            using (enable_grad())
            {
                for (int l = 0; l < leaves.Length; l++) leaves[l].requires_grad_(true);
                var output = LayerProbe.Inject(run, PathSteps.Tile(inputs, k), layers, context.ToInput, leaves, k);
                var selected = TargetSelector.Select(output, run.Target.Expand(k, interleave: false));
                var grads = LayerProbe.Grad(selected, leaves, $"the {(context.ToInput ? "input" : "output")} of layer(s) {string.Join(", ", layers)}", run);
                for (int l = 0; l < leaves.Length; l++) totals[l].add_(PathSteps.WeightedSum(grads[l], weights.AsSpan(start, k)));
            }
            done += k;
            run.Report(Name, done, StepCount);
        }
        var values = totals.Select((t, l) => (MultipliesByInputs ? t * (atInputs[l] - atBaselines[l]) : t.alias()).MoveToOuterDisposeScope()).ToArray();
        Tensor? delta = ReturnsDelta ? Convergence.Delta(run, values, baselines, inputs, run.Target).MoveToOuterDisposeScope() : null;
        return Result(context, values, delta);
    }
}
