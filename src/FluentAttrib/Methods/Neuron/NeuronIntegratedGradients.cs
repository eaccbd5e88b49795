using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Integrated Gradients of a neuron: the path integral of the neuron's gradients from the baseline to the input,
/// times (input − baseline). Captum's <c>NeuronIntegratedGradients</c>.
/// </summary>
public sealed record NeuronIntegratedGradients : NeuronAttributionMethod,
    IPathSetting, IBaselineSetting, IInternalBatchSizeSetting, IMultiplyByInputsSetting
{
    private NeuronIntegratedGradients() : base(new SettingValues()) { }

    /// <summary>
    /// <see cref="Defaults.Steps"/> Gauss–Legendre steps from a zero baseline, multiplied by inputs, path points per
    /// pass planned from the memory budget.
    /// </summary>
    public static NeuronIntegratedGradients Default { get; } = new();

    /// <summary>The default method with <paramref name="steps"/> steps (<see cref="MethodSettingExtensions.Steps{TMethod}"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> is less than 1.</exception>
    public static NeuronIntegratedGradients Steps(int steps) => Default.Steps(steps);

    /// <summary>The method's settings, read back by name (<c>Settings.Steps</c>).</summary>
    public MethodSettings<NeuronIntegratedGradients> Settings => new(Values);


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
        var totals = PathIntegral.Integrate(run, baselines, inputs, PathRule.Of(v.Quadrature, v.Steps), v.InternalBatchSize, Name,
            (points, _, k) => LayerProbe.NeuronGradients(run, points, context.Layer, context.ToInput, context.Selector, k));
        var values = totals.Select((t, i) => (v.MultiplyByInputs ? t * (inputs[i] - baselines[i]) : t.alias()).MoveToOuterDisposeScope()).ToArray();
        return Result(context, values);
    }
}
