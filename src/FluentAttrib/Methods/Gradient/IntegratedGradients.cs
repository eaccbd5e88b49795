using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Integrated Gradients (Sundararajan et al., 2017): the path integral of gradients from a baseline to the input,
/// times (input − baseline). Equal to Captum's <c>IntegratedGradients</c>, including its quadrature rules.
/// </summary>
public sealed record IntegratedGradients : AttributionMethod
{
    private IntegratedGradients() { }

    /// <summary>50 Gauss–Legendre steps from a zero baseline, multiplied by inputs, no delta.</summary>
    public static IntegratedGradients Default { get; } = new();

    /// <summary>The default method with <paramref name="steps"/> steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> is less than 1.</exception>
    public static IntegratedGradients Steps(int steps) => Default.WithSteps(steps);

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

    /// <summary>Whether the convergence delta is computed. <value>The default value is false.</value></summary>
    public bool ReturnsDelta { get; private init; }

    /// <summary>Uses <paramref name="steps"/> integration steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> is less than 1 (2 for the trapezoid rule).</exception>
    public IntegratedGradients WithSteps(int steps)
    {
        PathSteps.Check(steps, Quadrature, nameof(steps), StepsOwner);
        return this with { StepCount = steps };
    }

    /// <summary>Uses the integration rule <paramref name="quadrature"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Unknown rule, or the trapezoid rule with fewer than 2 steps.</exception>
    public IntegratedGradients Method(Quadrature quadrature)
    {
        PathSteps.CheckRule(quadrature, StepCount, nameof(quadrature), StepsOwner);
        return this with { Quadrature = quadrature };
    }

    /// <summary>Starts the path at <paramref name="baselines"/> (scalar, broadcastable tensor, or one per input).</summary>
    public IntegratedGradients Baseline(Baselines baselines)
    {
        ArgumentNullException.ThrowIfNull(baselines);
        return this with { Baselines = baselines };
    }

    /// <summary>Evaluates at most <paramref name="examples"/> path points per pass (Captum's <c>internal_batch_size</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="examples"/> is less than 1.</exception>
    public IntegratedGradients InternalBatchSize(int examples)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(examples, 1);
        return this with { InternalBatch = examples };
    }

    /// <summary>Returns (input − baseline) × integrated gradients (true) or the integrated gradients alone (false).</summary>
    public IntegratedGradients MultiplyByInputs(bool multiply = true) => this with { MultipliesByInputs = multiply };

    /// <summary>Also computes the convergence delta Σ attribution − (F(input) − F(baseline)).</summary>
    public IntegratedGradients WithDelta(bool delta = true) => this with { ReturnsDelta = delta };

    /// <inheritdoc />
    public override string Name => nameof(IntegratedGradients);

    /// <inheritdoc />
    public override string Describe() => $"IntegratedGradients({StepCount} steps, {Quadrature}, baselines {Baselines})";

    /// <summary>The method's name in the step-count messages (kept as before the validation moved to PathSteps).</summary>
    private const string StepsOwner = "Integrated Gradients";

    internal override Attribution Attribute(AttributionContext context)
    {
        var inputs = context.Inputs;
        var baselines = Baselines.MaterializeAll(inputs);
        var totals = PathIntegral.IntegrateGradients(context, inputs, baselines, StepCount, Quadrature, InternalBatch, Name);
        using var scope = NewDisposeScope();
        var values = totals.Select((g, i) => (MultipliesByInputs ? g * (inputs[i] - baselines[i]) : g.alias()).MoveToOuterDisposeScope()).ToArray();
        foreach (var t in totals) t.Dispose();
        Tensor? delta = ReturnsDelta ? Convergence.Delta(context, values, baselines, inputs, context.Target).MoveToOuterDisposeScope() : null;
        return Result(context, values, delta);
    }
}
