using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Feature ablation of a layer's neurons: each group of neurons (a layer-mask id; by default every neuron alone) is
/// replaced by the layer baseline in the model's forward pass, and its attribution is F(x) − F(x with the group
/// ablated). Results have the layer's shape. Captum's <c>LayerFeatureAblation</c>.
/// </summary>
public sealed record LayerFeatureAblation : LayerAttributionMethod
{
    private LayerFeatureAblation() { }

    /// <summary>Every neuron ablated alone, to zero.</summary>
    public static LayerFeatureAblation Default { get; } = new();

    /// <summary>Groups of layer neurons ablated together, broadcastable to the layer's value, or null for one group per neuron. <value>The default value is null.</value></summary>
    public FeatureMask? LayerMask { get; private init; }

    /// <summary>Value an ablated neuron takes (a scalar or a tensor broadcastable to the layer's value). <value>The default value is zero.</value></summary>
    public Baselines LayerBaselines { get; private init; } = Baselines.Zero;

    /// <summary>Groups evaluated per forward pass, or null to choose from the memory budget. <value>The default value is null.</value></summary>
    public int? PerturbationsPerPass { get; private init; }

    /// <summary>Ablates the groups of <paramref name="layerMask"/> (Captum's <c>layer_mask</c>).</summary>
    public LayerFeatureAblation Mask(FeatureMask layerMask)
    {
        ArgumentNullException.ThrowIfNull(layerMask);
        if (layerMask.Masks.Length != 1) throw new ArgumentException("A layer has one value: give a single layer mask.", nameof(layerMask));
        return this with { LayerMask = layerMask };
    }

    /// <summary>Replaces ablated neurons by <paramref name="layerBaselines"/> (Captum's <c>layer_baselines</c>).</summary>
    public LayerFeatureAblation Baseline(Baselines layerBaselines)
    {
        ArgumentNullException.ThrowIfNull(layerBaselines);
        return this with { LayerBaselines = layerBaselines };
    }

    /// <summary>Evaluates <paramref name="groups"/> ablated groups per forward pass (Captum's <c>perturbations_per_eval</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public LayerFeatureAblation PerturbationsPerEval(int groups)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(groups, 1);
        return this with { PerturbationsPerPass = groups };
    }

    /// <inheritdoc />
    public override string Name => nameof(LayerFeatureAblation);

    /// <inheritdoc />
    public override string Describe() => $"{Name}(baselines {LayerBaselines}{(LayerMask is null ? "" : ", masked")})";

    internal override Attribution Attribute(LayerContext context)
    {
        var run = context.Run;
        using var scope = NewDisposeScope();
        Tensor[] values, masks;
        Tensor initial;
        using (no_grad())
        {
            var (v, output) = LayerProbe.Evaluate(run, run.Inputs, context.Layers, context.ToInput);
            values = v;
            initial = TargetSelector.Select(output, run.Target);
        }
        masks = LayerMask is { } m ? m.Expand(values, "layerMask") : Perturbation.DefaultMasks(values).Select((d, i) => d.expand(values[i].shape)).ToArray();
        LayerBaselines.Validate(values, "layerBaselines");
        var baseline = LayerBaselines.Materialize(0, values[0]);
        var result = LayerPerturbation.Run(context, values, masks, initial, Perturbation.PerPass(run, PerturbationsPerPass),
            (_, x, mask) => where(mask, baseline, x), Name);
        return Result(context, [result.MoveToOuterDisposeScope()]);
    }
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
