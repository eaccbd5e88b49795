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
        Tensor[] values;
        Tensor initial;
        using (no_grad())
        {
            var (layerValues, output) = LayerProbe.Evaluate(run, run.Inputs, context.Layers, context.ToInput);
            values = layerValues;
            initial = TargetSelector.Select(output, run.Target);
        }
        var expanded = LayerMasks.Expand(masks, values);
        v.Baseline.Validate(values, "layerBaselines");
        var baseline = v.Baseline.Materialize(0, values[0]);
        var result = LayerPerturbation.Run(context, values, expanded, initial, Perturbation.PerPass(run, v.PerturbationsPerPass),
            (_, x, mask) => where(mask, baseline, x), Name);
        return Result(context, [result.MoveToOuterDisposeScope()]);
    }
}

/// <summary>The layer mask of a layer perturbation method: a single mask, checked before the run.</summary>
internal static class LayerMasks
{
    public static FeatureMask? Check(FeatureMask? mask, string method)
    {
        if (mask is not null && mask.Masks.Length != 1)
            throw new ArgumentException($"{method}: a layer has one value, so give a single layer mask (got {mask.Masks.Length}).", "mask");
        return mask;
    }

    /// <summary>The mask broadcast to the layer's value, or one group per neuron.</summary>
    public static Tensor[] Expand(FeatureMask? mask, Tensor[] values) =>
        mask is { } m ? m.Expand(values, "layerMask") : Perturbation.DefaultMasks(values).Select((d, i) => d.expand(values[i].shape)).ToArray();
}

/// <summary>Runs the shared perturbation loop on a layer's value, injecting the perturbed value into the forward pass.</summary>
internal static class LayerPerturbation
{
    public static Tensor Run(LayerContext context, Tensor[] values, Tensor[] masks, Tensor initial, int perPass,
        Func<int, Tensor, Tensor, Tensor> perturb, string method)
    {
        var run = context.Run;
        return Perturbation.Attribute(run, values, masks, initial, perPass, perturb, (perturbed, k) =>
        {
            using var _ = no_grad();
            var output = LayerProbe.Inject(run, PathSteps.Tile(run.Inputs, k), context.Layers, context.ToInput, perturbed, k);
            return TargetSelector.Select(output, run.Target.Expand(k, interleave: false));
        }, method)[0];
    }
}
