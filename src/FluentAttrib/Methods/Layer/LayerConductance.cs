using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Layer Conductance (Dhamdhere et al., 2018): the flow of Integrated Gradients through each neuron of the layer,
/// Σ_k ∂F/∂layer(α_k) · (layer(α_{k+1}) − layer(α_k)) along the input-space path from the baseline, using the n + 1
/// points of the integration rule (Captum's <c>LayerConductance</c>). Its sum per example approximates
/// F(input) − F(baseline) (<see cref="MethodSettingExtensions.ReturnDelta{TMethod}"/>).
/// </summary>
public sealed record LayerConductance : LayerAttributionMethod,
    IPathSetting, IBaselineSetting, IInternalBatchSizeSetting, IDeltaSetting
{
    private LayerConductance() : base(new SettingValues()) { }

    /// <summary>
    /// <see cref="Defaults.Steps"/> Gauss–Legendre steps (the rule is evaluated at steps + 1 points) from a zero
    /// baseline, no delta, path points per pass planned from the memory budget.
    /// </summary>
    public static LayerConductance Default { get; } = new();

    /// <summary>The default method with <paramref name="steps"/> steps (<see cref="MethodSettingExtensions.Steps{TMethod}"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> is less than 1.</exception>
    public static LayerConductance Steps(int steps) => Default.Steps(steps);

    /// <summary>The method's settings, read back by name (<c>Settings.Steps</c>).</summary>
    public MethodSettings<LayerConductance> Settings => new(Values);


    /// <inheritdoc />
    public override string Describe() => $"{Name}({Values.Steps} steps, {Values.Quadrature}, baselines {Values.Baseline})";

    internal override Attribution Attribute(LayerContext context)
    {
        var run = context.Run;
        var inputs = run.Inputs;
        var v = Values;
        long batch = run.BatchSize;
        using var outer = NewDisposeScope();
        var baselines = v.Baseline.MaterializeAll(inputs, context.Run.Checks);
        // The pair-wise rule: the gradient at each point times the layer's change to the next point.
        var totals = PathIntegral.Integrate(run, baselines, inputs, PathRule.PairsOf(v.Quadrature, v.Steps), v.InternalBatchSize, Name,
            (points, target, k) =>
            {
                var (grads, values, _) = LayerProbe.Gradients(run, points, context.Layers, context.ToInput, target, k);
                long rows = batch * (k - 1);
                var diffs = values[0].narrow(0, batch, rows) - values[0].narrow(0, 0, rows);
                return [grads[0].narrow(0, 0, rows) * diffs];
            });
        var attribution = totals[0].MoveToOuterDisposeScope();
        Tensor? delta = v.ReturnDelta ? Convergence.Delta(run, [attribution], baselines, inputs, run.Target).MoveToOuterDisposeScope() : null;
        return Result(context, [attribution], delta);
    }
}
