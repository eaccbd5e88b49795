using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Internal Influence (Leino et al., 2018): the integral of the layer's gradients along the straight path from the
/// baseline to the input (in input space), without multiplying by anything. Captum's <c>InternalInfluence</c>.
/// </summary>
public sealed record InternalInfluence : LayerAttributionMethod,
    IPathSetting, IBaselineSetting, IInternalBatchSizeSetting
{
    private InternalInfluence() : base(new SettingValues()) { }

    /// <summary>
    /// <see cref="Defaults.Steps"/> Gauss–Legendre steps from a zero baseline, path points per pass planned from the
    /// memory budget.
    /// </summary>
    public static InternalInfluence Default { get; } = new();

    /// <summary>The default method with <paramref name="steps"/> steps (<see cref="MethodSettingExtensions.Steps{TMethod}"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> is less than 1.</exception>
    public static InternalInfluence Steps(int steps) => Default.Steps(steps);

    /// <summary>The method's settings, read back by name (<c>Settings.Steps</c>).</summary>
    public MethodSettings<InternalInfluence> Settings => new(Values);


    /// <inheritdoc />
    public override string Describe() => $"{Name}({Values.Steps} steps, {Values.Quadrature}, baselines {Values.Baseline})";

    internal override Attribution Attribute(LayerContext context)
    {
        var run = context.Run;
        var v = Values;
        using var outer = NewDisposeScope();
        var baselines = v.Baseline.MaterializeAll(run.Inputs, context.Run.Checks);
        var totals = PathIntegral.Integrate(run, baselines, run.Inputs, PathRule.Of(v.Quadrature, v.Steps), v.InternalBatchSize, Name,
            (points, target, k) => [LayerProbe.Gradients(run, points, context.Layers, context.ToInput, target, k).Gradients[0]]);
        return Result(context, [totals[0].MoveToOuterDisposeScope()]);
    }
}
