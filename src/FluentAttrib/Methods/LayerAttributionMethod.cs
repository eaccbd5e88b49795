using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// A configured layer attribution method (attributes to a layer's neurons; results have the layer's shape), used as
/// <c>Explain(model).For(target).At(layer).With(method).Attribute(input)</c>. Immutable; settings are checked when
/// built. Create one through the method's static entry points, e.g. <c>LayerGradCam.Default.Relu()</c>.
/// </summary>
public abstract record LayerAttributionMethod : ConfigurableMethod
{
    private protected LayerAttributionMethod(SettingValues values) : base(values) { }


    internal abstract Attribution Attribute(LayerContext context);

    private protected Attribution Result(LayerContext context, Tensor[] values, Tensor? delta = null) =>
        new(values, delta, $"{Describe()} at {string.Join(", ", context.Layers)}{(context.ToInput ? " (input)" : "")}", context.Run.Target);
}

/// <summary>
/// A layer method that can attribute to several layers at once (<c>At(layerA, layerB)</c>), as Captum allows for
/// LayerActivation, LayerGradientXActivation and LayerIntegratedGradients. The result holds one tensor per layer.
/// </summary>
public abstract record MultiLayerAttributionMethod : LayerAttributionMethod
{
    private protected MultiLayerAttributionMethod(SettingValues values) : base(values) { }

}

/// <summary>
/// A configured neuron attribution method (attributes one neuron of a layer to the model inputs; results have the
/// inputs' shapes), used as <c>Explain(model).At(layer).Neuron(3).With(method).Attribute(input)</c>.
/// </summary>
public abstract record NeuronAttributionMethod : ConfigurableMethod
{
    private protected NeuronAttributionMethod(SettingValues values) : base(values) { }


    /// <summary>Whether the method explains a model output (target) through the neuron; most explain the neuron alone.</summary>
    internal virtual bool UsesTarget => false;

    internal abstract Attribution Attribute(NeuronContext context);

    private protected Attribution Result(NeuronContext context, Tensor[] values, Tensor? delta = null) =>
        new(values, delta, $"{Describe()} of neuron {context.Selector} at {context.Layer}{(context.ToInput ? " (input)" : "")}", context.Run.Target);
}

/// <summary>
/// A neuron method that explains a model output (a target) through the neuron, such as NeuronConductance. Only these
/// can follow a target: <c>Explain(model).For(target).At(layer).Neuron(i).With(method)</c> accepts a
/// <see cref="TargetedNeuronAttributionMethod"/> and no other neuron method (a compile-time error); without a target,
/// every neuron method is accepted (the model's single output is then explained).
/// </summary>
public abstract record TargetedNeuronAttributionMethod : NeuronAttributionMethod
{
    private protected TargetedNeuronAttributionMethod(SettingValues values) : base(values) { }

    /// <inheritdoc />
    internal sealed override bool UsesTarget => true;
}
