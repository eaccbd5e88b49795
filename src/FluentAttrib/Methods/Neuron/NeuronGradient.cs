using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>The gradient of a neuron (summed over its slices) with respect to each input. Captum's <c>NeuronGradient</c>.</summary>
public sealed record NeuronGradient : NeuronAttributionMethod
{
    private NeuronGradient() : base(new SettingValues()) { }

    /// <summary>The method (it has no settings).</summary>
    public static NeuronGradient Default { get; } = new();

    /// <summary>The method's settings (it has none to read back).</summary>
    public MethodSettings<NeuronGradient> Settings => new(Values);


    internal override Attribution Attribute(NeuronContext context)
    {
        using var scope = NewDisposeScope();
        var run = context.Run;
        var grads = LayerProbe.NeuronGradients(run, run.Inputs, context.Layer, context.ToInput, context.Selector);
        return Result(context, grads.Select(g => g.MoveToOuterDisposeScope()).ToArray());
    }
}
