using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Permutation importance of a layer's neurons: each group of neurons (a layer-mask id; by default every neuron
/// alone) is shuffled across the examples of the batch (a random permutation that is not the identity), and its
/// attribution is F(x) − F(x with the group permuted). Needs a batch of at least 2. The permutations come from a
/// generator seeded with <see cref="MethodSettingExtensions.Seed{TMethod}"/> (created per call), or torch's default
/// generator. Captum's <c>LayerFeaturePermutation</c>; the mask is its <c>layer_mask</c>.
/// </summary>
public sealed record LayerFeaturePermutation : LayerAttributionMethod,
    IMaskSetting, IPerturbationsPerPassSetting, ISeedSetting
{
    private LayerFeaturePermutation() : base(new SettingValues()) { }

    /// <summary>Every neuron permuted alone, torch's default generator, groups per forward pass planned from the memory budget.</summary>
    public static LayerFeaturePermutation Default { get; } = new();

    /// <summary>The method's settings, read back by name (<c>Settings.Mask</c>).</summary>
    public MethodSettings<LayerFeaturePermutation> Settings => new(Values);


    /// <inheritdoc />
    public override string Describe() =>
        Values.Mask is null && Values.Seed is null ? Name
            : $"{Name}({string.Join(", ", new[] { Values.Mask is null ? null : "masked", Values.Seed is { } s ? $"seed {s}" : null }.OfType<string>())})";

    internal override Attribution Attribute(LayerContext context)
    {
        var run = context.Run;
        var v = Values;
        var mask = LayerMasks.Check(v.Mask, Name);
        if (run.BatchSize < 2)
            throw new ArgumentException("LayerFeaturePermutation permutes neurons across the batch: give at least 2 examples.", "inputs");
        using var scope = NewDisposeScope();
        var (values, initial) = LayerPerturbation.Evaluate(context);
        var masks = LayerMasks.Expand(mask, values);
        using var generator = v.Seed is { } seed ? new Generator(unchecked((ulong)seed)) : null;
        var result = LayerPerturbation.Run(context, values, masks, initial, Perturbation.PerPass(run, v.PerturbationsPerPass),
            (_, x, m) => where(m, x.index_select(0, Perturbation.NonIdentityPermutation(x.shape[0], x.device, generator)), x), Name);
        return Result(context, [result.MoveToOuterDisposeScope()]);
    }
}
