using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Feature ablation for a neuron: each input feature (a feature-mask id across the inputs; by default every element
/// alone) is replaced by the baseline and its attribution is neuron(x) − neuron(x with the feature ablated). Works
/// with integer inputs (token ids). Captum's <c>NeuronFeatureAblation</c>.
/// </summary>
public sealed record NeuronFeatureAblation : NeuronAttributionMethod
{
    private NeuronFeatureAblation() { }

    /// <summary>Every input element ablated alone, to zero.</summary>
    public static NeuronFeatureAblation Default { get; } = new();

    /// <summary>Input features ablated together, or null for one per element. <value>The default value is null.</value></summary>
    public FeatureMask? FeatureMask { get; private init; }

    /// <summary>Value an ablated element takes. <value>The default value is zero.</value></summary>
    public Baselines Baselines { get; private init; } = Baselines.Zero;

    /// <summary>Features evaluated per forward pass, or null to choose from the memory budget. <value>The default value is null.</value></summary>
    public int? PerturbationsPerPass { get; private init; }

    /// <summary>Ablates the groups of <paramref name="featureMask"/> together.</summary>
    public NeuronFeatureAblation Mask(FeatureMask featureMask)
    {
        ArgumentNullException.ThrowIfNull(featureMask);
        return this with { FeatureMask = featureMask };
    }

    /// <summary>Replaces ablated elements by <paramref name="baselines"/>.</summary>
    public NeuronFeatureAblation Baseline(Baselines baselines)
    {
        ArgumentNullException.ThrowIfNull(baselines);
        return this with { Baselines = baselines };
    }

    /// <summary>Evaluates <paramref name="features"/> ablated features per forward pass (Captum's <c>perturbations_per_eval</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public NeuronFeatureAblation PerturbationsPerEval(int features)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        return this with { PerturbationsPerPass = features };
    }

    /// <inheritdoc />
    public override string Name => nameof(NeuronFeatureAblation);

    /// <inheritdoc />
    public override string Describe() => $"{Name}(baselines {Baselines}{(FeatureMask is null ? "" : ", masked")})";

    internal override Attribution Attribute(NeuronContext context)
    {
        var run = context.Run;
        var inputs = run.Inputs;
        using var scope = NewDisposeScope();
        var baselines = Baselines.MaterializeAll(inputs);
        var masks = FeatureMask is { } m ? m.Expand(inputs) : Perturbation.DefaultMasks(inputs).Select((d, i) => d.expand(inputs[i].shape)).ToArray();
        var initial = LayerProbe.NeuronValues(run, inputs, context.Layer, context.ToInput, context.Selector);
        var result = Perturbation.Attribute(run, inputs, masks, initial, Perturbation.PerPass(run, PerturbationsPerPass),
            (i, x, mask) => where(mask, baselines[i], x),
            (perturbed, k) => LayerProbe.NeuronValues(run, perturbed, context.Layer, context.ToInput, context.Selector, k), Name);
        return Result(context, result.Select(r => r.MoveToOuterDisposeScope()).ToArray());
    }
}
