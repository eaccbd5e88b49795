using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Neuron Conductance (Dhamdhere et al., 2018): how much of the target output's Integrated Gradients flows through
/// the neuron, per input element: Σ step · (∂F/∂neuron)(α) · (∂neuron/∂x)(α) · (x − b). Needs a target
/// (<c>For(...)</c> before or after <c>Neuron(...)</c>). Its default rule is the trapezoid, as in Captum's
/// <c>NeuronConductance</c>.
/// </summary>
public sealed record NeuronConductance : NeuronAttributionMethod
{
    private NeuronConductance() { }

    /// <summary>50 trapezoid steps from a zero baseline, multiplied by inputs.</summary>
    public static NeuronConductance Default { get; } = new();

    /// <summary>The default method with <paramref name="steps"/> steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> is less than 2.</exception>
    public static NeuronConductance Steps(int steps) => Default.WithSteps(steps);

    /// <summary>Number of integration steps. <value>The default value is 50.</value></summary>
    public int StepCount { get; private init; } = 50;

    /// <summary>Integration rule. <value>The default value is <see cref="Quadrature.RiemannTrapezoid"/>.</value></summary>
    public Quadrature Quadrature { get; private init; } = Quadrature.RiemannTrapezoid;

    /// <summary>Baselines the path starts from. <value>The default value is zero.</value></summary>
    public Baselines Baselines { get; private init; } = Baselines.Zero;

    /// <summary>Examples per forward/backward pass, or null to choose from the memory budget. <value>The default value is null.</value></summary>
    public int? InternalBatch { get; private init; }

    /// <summary>Whether the result is multiplied by (input − baseline). <value>The default value is true.</value></summary>
    public bool MultipliesByInputs { get; private init; } = true;

    /// <summary>Uses <paramref name="steps"/> integration steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1 (2 for the trapezoid rule).</exception>
    public NeuronConductance WithSteps(int steps)
    {
        PathSteps.Check(steps, Quadrature, nameof(steps), Name);
        return this with { StepCount = steps };
    }

    /// <summary>Uses the integration rule <paramref name="quadrature"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Unknown rule, or the trapezoid rule with fewer than 2 steps.</exception>
    public NeuronConductance Method(Quadrature quadrature)
    {
        PathSteps.CheckRule(quadrature, StepCount, nameof(quadrature), Name);
        return this with { Quadrature = quadrature };
    }

    /// <summary>Starts the path at <paramref name="baselines"/>.</summary>
    public NeuronConductance Baseline(Baselines baselines)
    {
        ArgumentNullException.ThrowIfNull(baselines);
        return this with { Baselines = baselines };
    }

    /// <summary>Evaluates at most <paramref name="examples"/> path points per pass (Captum's <c>internal_batch_size</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public NeuronConductance InternalBatchSize(int examples)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(examples, 1);
        return this with { InternalBatch = examples };
    }

    /// <summary>Multiplies by (input − baseline) (true) or not (false).</summary>
    public NeuronConductance MultiplyByInputs(bool multiply = true) => this with { MultipliesByInputs = multiply };

    /// <inheritdoc />
    public override string Name => nameof(NeuronConductance);

    /// <inheritdoc />
    public override string Describe() => $"{Name}({StepCount} steps, {Quadrature}, baselines {Baselines})";

    internal override bool UsesTarget => true;

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
            var (inputGrads, layerGrad) = LayerProbe.NeuronAndLayerGradients(run, points, context.Layer, context.ToInput, context.Selector,
                run.Target.Expand(k, interleave: false), k);
            var mid = context.Selector.Select(layerGrad, context.Layer, context.ToInput);
            for (int i = 0; i < inputs.Length; i++)
            {
                var g = inputGrads[i] * mid.reshape([mid.shape[0], .. Enumerable.Repeat(1L, (int)inputGrads[i].dim() - 1)]);
                totals[i].add_(PathSteps.WeightedSum(g, weights.AsSpan(start, k)));
            }
            done += k;
            run.Report(Name, done, StepCount);
        }
        var values = totals.Select((t, i) => (MultipliesByInputs ? t * (inputs[i] - baselines[i]) : t.alias()).MoveToOuterDisposeScope()).ToArray();
        return Result(context, values);
    }
}
