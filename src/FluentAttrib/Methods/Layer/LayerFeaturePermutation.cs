using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Permutation importance of a layer's neurons: each group of neurons (a layer-mask id; by default every neuron
/// alone) is shuffled across the examples of the batch (a random permutation that is not the identity, from torch's
/// random generator), and its attribution is F(x) − F(x with the group permuted). Needs a batch of at least 2.
/// Captum's <c>LayerFeaturePermutation</c>.
/// </summary>
public sealed record LayerFeaturePermutation : LayerAttributionMethod
{
    private LayerFeaturePermutation() { }

    /// <summary>Every neuron permuted alone.</summary>
    public static LayerFeaturePermutation Default { get; } = new();

    /// <summary>Groups of layer neurons permuted together, or null for one group per neuron. <value>The default value is null.</value></summary>
    public FeatureMask? LayerMask { get; private init; }

    /// <summary>Groups evaluated per forward pass, or null to choose from the memory budget. <value>The default value is null.</value></summary>
    public int? PerturbationsPerPass { get; private init; }

    /// <summary>Permutes the groups of <paramref name="layerMask"/> together (Captum's <c>layer_mask</c>).</summary>
    public LayerFeaturePermutation Mask(FeatureMask layerMask)
    {
        ArgumentNullException.ThrowIfNull(layerMask);
        if (layerMask.Masks.Length != 1) throw new ArgumentException("A layer has one value: give a single layer mask.", nameof(layerMask));
        return this with { LayerMask = layerMask };
    }

    /// <summary>Evaluates <paramref name="groups"/> permuted groups per forward pass (Captum's <c>perturbations_per_eval</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public LayerFeaturePermutation PerturbationsPerEval(int groups)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(groups, 1);
        return this with { PerturbationsPerPass = groups };
    }

    /// <inheritdoc />
    public override string Name => nameof(LayerFeaturePermutation);

    internal override Attribution Attribute(LayerContext context)
    {
        var run = context.Run;
        if (run.BatchSize < 2)
            throw new ArgumentException("LayerFeaturePermutation permutes neurons across the batch: give at least 2 examples.", "inputs");
        using var scope = NewDisposeScope();
        Tensor[] values;
        Tensor initial;
        using (no_grad())
        {
            var (v, output) = LayerProbe.Evaluate(run, run.Inputs, context.Layers, context.ToInput);
            values = v;
            initial = TargetSelector.Select(output, run.Target);
        }
        var masks = LayerMask is { } m ? m.Expand(values, "layerMask") : Perturbation.DefaultMasks(values).Select((d, i) => d.expand(values[i].shape)).ToArray();
        var result = LayerPerturbation.Run(context, values, masks, initial, Perturbation.PerPass(run, PerturbationsPerPass),
            (_, x, mask) => where(mask, x.index_select(0, Perturbation.NonIdentityPermutation(x.shape[0], x.device)), x), Name);
        return Result(context, [result.MoveToOuterDisposeScope()]);
    }
}
