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
public sealed record LayerIntegratedGradients : MultiLayerAttributionMethod,
    IPathSetting, IBaselineSetting, IInternalBatchSizeSetting, IMultiplyByInputsSetting, IDeltaSetting
{
    private LayerIntegratedGradients() : base(new SettingValues()) { }

    /// <summary>
    /// <see cref="Defaults.Steps"/> Gauss–Legendre steps from zero baselines (in input space), multiplied by the layer
    /// difference, no delta, path points per pass planned from the memory budget.
    /// </summary>
    public static LayerIntegratedGradients Default { get; } = new();

    /// <summary>The default method with <paramref name="steps"/> steps (<see cref="MethodSettingExtensions.Steps{TMethod}"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> is less than 1.</exception>
    public static LayerIntegratedGradients Steps(int steps) => Default.Steps(steps);

    /// <summary>The method's settings, read back by name (<c>Settings.Steps</c>).</summary>
    public MethodSettings<LayerIntegratedGradients> Settings => new(Values);


    /// <inheritdoc />
    public override string Describe() => $"{Name}({Values.Steps} steps, {Values.Quadrature}, baselines {Values.Baseline})";

    internal override Attribution Attribute(LayerContext context)
    {
        var run = context.Run;
        var inputs = run.Inputs;
        var layers = context.Layers;
        var v = Values;
        using var outer = NewDisposeScope();
        var baselines = v.Baseline.MaterializeAll(inputs, context.Run.Checks).Select(b => b.contiguous()).ToArray();
        var (atInputs, _) = LayerProbe.Evaluate(run, inputs, layers, context.ToInput);
        var (atBaselines, _) = LayerProbe.Evaluate(run, baselines, layers, context.ToInput);
        string what = $"the {(context.ToInput ? "input" : "output")} of layer(s) {string.Join(", ", layers)}";
        for (int l = 0; l < layers.Count; l++)
            if (!atInputs[l].is_floating_point())
                throw new InvalidOperationException(
                    $"The {(context.ToInput ? "input" : "output")} of layer {layers[l]} has dtype {atInputs[l].dtype}; integrating gradients needs floating-point layer values.");
        // The path runs in the layers' space: the points are injected in place of the layers' values.
        var totals = PathIntegral.Integrate(run, atBaselines, atInputs, PathRule.Of(v.Quadrature, v.Steps), v.InternalBatchSize, Name,
            (points, target, k) =>
            {
                using var _ = enable_grad();
                for (int l = 0; l < points.Length; l++) points[l].requires_grad_(true);
                var output = LayerProbe.Inject(run, PathSteps.Tile(inputs, k), layers, context.ToInput, points, k);
                var selected = TargetSelector.Select(output, target);
                return LayerProbe.Grad(selected, points, what, run);
            });
        var values = totals.Select((t, l) => (v.MultiplyByInputs ? t * (atInputs[l] - atBaselines[l]) : t.alias()).MoveToOuterDisposeScope()).ToArray();
        Tensor? delta = v.ReturnDelta ? Convergence.Delta(run, values, baselines, inputs, run.Target).MoveToOuterDisposeScope() : null;
        return Result(context, values, delta);
    }
}
