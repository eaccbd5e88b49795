using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Integrated Gradients (Sundararajan et al., 2017): the path integral of gradients from a baseline to the input,
/// times (input − baseline). Equal to Captum's <c>IntegratedGradients</c>, including its quadrature rules.
/// </summary>
public sealed record IntegratedGradients : AttributionMethod,
    IPathSetting, IBaselineSetting, IInternalBatchSizeSetting, IMultiplyByInputsSetting, IDeltaSetting
{
    private IntegratedGradients() : base(new SettingValues()) { }

    /// <summary>
    /// <see cref="Defaults.Steps"/> Gauss–Legendre steps from a zero baseline, multiplied by inputs, no delta, path
    /// points per pass planned from the memory budget.
    /// </summary>
    public static IntegratedGradients Default { get; } = new();

    /// <summary>The default method with <paramref name="steps"/> steps (<see cref="MethodSettingExtensions.Steps{TMethod}"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> is less than 1.</exception>
    public static IntegratedGradients Steps(int steps) => Default.Steps(steps);

    /// <summary>The method's settings, read back by name (<c>Settings.Steps</c>).</summary>
    public MethodSettings<IntegratedGradients> Settings => new(Values);


    /// <inheritdoc />
    public override string Describe() => $"IntegratedGradients({Values.Steps} steps, {Values.Quadrature}, baselines {Values.Baseline})";

    internal override Attribution Attribute(AttributionContext context)
    {
        var inputs = context.Inputs;
        var v = Values;
        var baselines = v.Baseline.MaterializeAll(inputs, context.Checks);
        var totals = PathIntegral.IntegrateGradients(context, inputs, baselines, v.Steps, v.Quadrature, v.InternalBatchSize, Name);
        using var scope = NewDisposeScope();
        var values = totals.Select((g, i) => (v.MultiplyByInputs ? g * (inputs[i] - baselines[i]) : g.alias()).MoveToOuterDisposeScope()).ToArray();
        foreach (var t in totals) t.Dispose();
        Tensor? delta = v.ReturnDelta ? Convergence.Delta(context, values, baselines, inputs, context.Target).MoveToOuterDisposeScope() : null;
        return Result(context, values, delta);
    }
}
