using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Neuron Conductance (Dhamdhere et al., 2018): how much of the target output's Integrated Gradients flows through
/// the neuron, per input element: Σ step · (∂F/∂neuron)(α) · (∂neuron/∂x)(α) · (x − b). Explains a target
/// (<c>For(...)</c> before or after <c>Neuron(...)</c>; without one, the model's single output). Its default rule is
/// the trapezoid, as in Captum's <c>NeuronConductance</c>.
/// </summary>
public sealed record NeuronConductance : TargetedNeuronAttributionMethod,
    IPathSetting, IBaselineSetting, IInternalBatchSizeSetting, IMultiplyByInputsSetting
{
    private NeuronConductance() : base(new SettingValues { Quadrature = Defaults.NeuronConductanceQuadrature }) { }

    /// <summary>
    /// <see cref="Defaults.Steps"/> steps of the <see cref="Defaults.NeuronConductanceQuadrature"/> rule from a zero
    /// baseline, multiplied by inputs, path points per pass planned from the memory budget.
    /// </summary>
    public static NeuronConductance Default { get; } = new();

    /// <summary>The default method with <paramref name="steps"/> steps (<see cref="MethodSettingExtensions.Steps{TMethod}"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> is less than 2 (the trapezoid rule's minimum).</exception>
    public static NeuronConductance Steps(int steps) => Default.Steps(steps);

    /// <summary>The method's settings, read back by name (<c>Settings.Steps</c>).</summary>
    public MethodSettings<NeuronConductance> Settings => new(Values);


    /// <inheritdoc />
    public override string Describe() => $"{Name}({Values.Steps} steps, {Values.Quadrature}, baselines {Values.Baseline})";

    internal override Attribution Attribute(NeuronContext context)
    {
        var run = context.Run;
        var inputs = run.Inputs;
        var v = Values;
        LayerProbe.RequireFloatingInputs(inputs);
        using var outer = NewDisposeScope();
        var baselines = v.Baseline.MaterializeAll(inputs, context.Run.Checks);
        // The chain: ∂F/∂neuron at each point times ∂neuron/∂x there.
        var totals = PathIntegral.Integrate(run, baselines, inputs, PathRule.Of(v.Quadrature, v.Steps), v.InternalBatchSize, Name,
            (points, target, k) =>
            {
                var (inputGrads, layerGrad) = LayerProbe.NeuronAndLayerGradients(run, points, context.Layer, context.ToInput, context.Selector, target, k);
                var mid = context.Selector.Select(layerGrad, context.Layer, context.ToInput);
                return inputGrads.Select(g => g * mid.reshape([mid.shape[0], .. Enumerable.Repeat(1L, (int)g.dim() - 1)])).ToArray();
            });
        var values = totals.Select((t, i) => (v.MultiplyByInputs ? t * (inputs[i] - baselines[i]) : t.alias()).MoveToOuterDisposeScope()).ToArray();
        return Result(context, values);
    }
}
