using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Integrated Gradients of a neuron: the path integral of the neuron's gradients from the baseline to the input,
/// times (input − baseline). Captum's <c>NeuronIntegratedGradients</c>.
/// </summary>
public sealed record NeuronIntegratedGradients : NeuronAttributionMethod
{
    private NeuronIntegratedGradients() { }

    /// <summary>50 Gauss–Legendre steps from a zero baseline, multiplied by inputs.</summary>
    public static NeuronIntegratedGradients Default { get; } = new();

    /// <summary>The default method with <paramref name="steps"/> steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> is less than 1.</exception>
    public static NeuronIntegratedGradients Steps(int steps) => Default.WithSteps(steps);

    /// <summary>Number of integration steps. <value>The default value is 50.</value></summary>
    public int StepCount { get; private init; } = 50;

    /// <summary>Integration rule. <value>The default value is <see cref="Quadrature.GaussLegendre"/>.</value></summary>
    public Quadrature Quadrature { get; private init; } = Quadrature.GaussLegendre;

    /// <summary>Baselines the path starts from. <value>The default value is zero.</value></summary>
    public Baselines Baselines { get; private init; } = Baselines.Zero;

    /// <summary>Examples per forward/backward pass, or null to choose from the memory budget. <value>The default value is null.</value></summary>
    public int? InternalBatch { get; private init; }

    /// <summary>Whether the integrated gradients are multiplied by (input − baseline). <value>The default value is true.</value></summary>
    public bool MultipliesByInputs { get; private init; } = true;

    /// <summary>Uses <paramref name="steps"/> integration steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1 (2 for the trapezoid rule).</exception>
    public NeuronIntegratedGradients WithSteps(int steps)
    {
        PathSteps.Check(steps, Quadrature, nameof(steps), Name);
        return this with { StepCount = steps };
    }

    /// <summary>Uses the integration rule <paramref name="quadrature"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Unknown rule, or the trapezoid rule with fewer than 2 steps.</exception>
    public NeuronIntegratedGradients Method(Quadrature quadrature)
    {
        PathSteps.CheckRule(quadrature, StepCount, nameof(quadrature), Name);
        return this with { Quadrature = quadrature };
    }

    /// <summary>Starts the path at <paramref name="baselines"/>.</summary>
    public NeuronIntegratedGradients Baseline(Baselines baselines)
    {
        ArgumentNullException.ThrowIfNull(baselines);
        return this with { Baselines = baselines };
    }

    /// <summary>Evaluates at most <paramref name="examples"/> path points per pass (Captum's <c>internal_batch_size</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public NeuronIntegratedGradients InternalBatchSize(int examples)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(examples, 1);
        return this with { InternalBatch = examples };
    }

    /// <summary>Returns (input − baseline) × integrated gradients (true) or the integrated gradients alone (false).</summary>
    public NeuronIntegratedGradients MultiplyByInputs(bool multiply = true) => this with { MultipliesByInputs = multiply };

    /// <inheritdoc />
    public override string Name => nameof(NeuronIntegratedGradients);

    /// <inheritdoc />
    public override string Describe() => $"{Name}({StepCount} steps, {Quadrature}, baselines {Baselines})";

    internal override Attribution Attribute(NeuronContext context)
    {
        var run = context.Run;
        var inputs = run.Inputs;
        LayerProbe.RequireFloatingInputs(inputs);
        var (alphas, weights) = QuadratureRule.Get(Quadrature, StepCount);
        using var outer = NewDisposeScope();
        var baselines = Baselines.MaterializeAll(inputs);
        int perPass = PathSteps.PerPass(run, inputs, InternalBatch);
        var totals = inputs.Select(x => zeros_like(x)).ToArray();
        int done = 0;
        foreach (var (start, end) in StepChunks.Split(StepCount, run.BatchSize, perPass))
        {
            run.ThrowIfCancelled();
            using var scope = NewDisposeScope();
            int k = end - start;
            var points = PathSteps.Points(inputs, baselines, alphas.AsSpan(start, k));
            var grads = LayerProbe.NeuronGradients(run, points, context.Layer, context.ToInput, context.Selector, k);
            for (int i = 0; i < inputs.Length; i++) totals[i].add_(PathSteps.WeightedSum(grads[i], weights.AsSpan(start, k)));
            done += k;
            run.Report(Name, done, StepCount);
        }
        var values = totals.Select((t, i) => (MultipliesByInputs ? t * (inputs[i] - baselines[i]) : t.alias()).MoveToOuterDisposeScope()).ToArray();
        return Result(context, values);
    }
}
