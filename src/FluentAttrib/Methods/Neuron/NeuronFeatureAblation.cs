using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Feature ablation for a neuron: each input feature (a feature-mask id across the inputs; by default every element
/// alone) is replaced by the baseline and its attribution is neuron(x) − neuron(x with the feature ablated). Works
/// with integer inputs (token ids). Captum's <c>NeuronFeatureAblation</c>.
/// </summary>
public sealed record NeuronFeatureAblation : NeuronAttributionMethod,
    IMaskSetting, IBaselineSetting, IPerturbationsPerPassSetting
{
    private NeuronFeatureAblation() : base(new SettingValues()) { }

    /// <summary>Every input element ablated alone, to zero, features per forward pass planned from the memory budget.</summary>
    public static NeuronFeatureAblation Default { get; } = new();

    /// <summary>The method's settings, read back by name (<c>Settings.Mask</c>).</summary>
    public MethodSettings<NeuronFeatureAblation> Settings => new(Values);


    /// <inheritdoc />
    public override string Describe() => $"{Name}(baselines {Values.Baseline}{(Values.Mask is null ? "" : ", masked")})";

    internal override Attribution Attribute(NeuronContext context)
    {
        var run = context.Run;
        var inputs = run.Inputs;
        var v = Values;
        using var scope = NewDisposeScope();
        var baselines = v.Baseline.MaterializeAll(inputs, context.Run.Checks);
        var masks = v.Mask is { } m ? m.Expand(inputs) : Perturbation.DefaultMasks(inputs).Select((d, i) => d.expand(inputs[i].shape)).ToArray();
        var initial = LayerProbe.NeuronValues(run, inputs, context.Layer, context.ToInput, context.Selector);
        var result = Perturbation.Attribute(run, inputs, masks, initial, Perturbation.PerPass(run, v.PerturbationsPerPass),
            (i, x, mask) => where(mask, baselines[i], x),
            (perturbed, k) => LayerProbe.NeuronValues(run, perturbed, context.Layer, context.ToInput, context.Selector, k), Name);
        return Result(context, result.Select(r => r.MoveToOuterDisposeScope()).ToArray());
    }
}
