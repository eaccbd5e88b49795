using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Feature ablation of a layer's neurons: each group of neurons (a layer-mask id; by default every neuron alone) is
/// replaced by the layer baseline in the model's forward pass, and its attribution is F(x) − F(x with the group
/// ablated). Results have the layer's shape. Captum's <c>LayerFeatureAblation</c>: the mask
/// (<see cref="MethodSettingExtensions.Mask{TMethod}"/>) is its <c>layer_mask</c> (a single mask, broadcastable to the
/// layer's value) and the baseline (<see cref="MethodSettingExtensions.Baseline{TMethod}"/>) its <c>layer_baselines</c>.
/// </summary>
public sealed record LayerFeatureAblation : LayerAttributionMethod,
    IMaskSetting, IBaselineSetting, IPerturbationsPerPassSetting
{
    private LayerFeatureAblation() : base(new SettingValues()) { }

    /// <summary>Every neuron ablated alone, to zero, groups per forward pass planned from the memory budget.</summary>
    public static LayerFeatureAblation Default { get; } = new();

    /// <summary>The method's settings, read back by name (<c>Settings.Mask</c>).</summary>
    public MethodSettings<LayerFeatureAblation> Settings => new(Values);


    /// <inheritdoc />
    public override string Describe() => $"{Name}(baselines {Values.Baseline}{(Values.Mask is null ? "" : ", masked")})";

    internal override Attribution Attribute(LayerContext context)
    {
        var run = context.Run;
        var v = Values;
        var masks = LayerMasks.Check(v.Mask, Name);
        using var scope = NewDisposeScope();
        var (values, initial) = LayerPerturbation.Evaluate(context);
        var expanded = LayerMasks.Expand(masks, values);
        v.Baseline.Validate(values, "layerBaselines");
        var baseline = v.Baseline.Materialize(0, values[0], context.Run.Checks);
        var result = LayerPerturbation.Run(context, values, expanded, initial, Perturbation.PerPass(run, v.PerturbationsPerPass),
            (_, x, mask) => where(mask, baseline, x), Name);
        return Result(context, [result.MoveToOuterDisposeScope()]);
    }
}
