using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib;

public sealed partial class Explainer
{
    /// <summary>Attributes to the output of <paramref name="layer"/> (a dotted path converts implicitly).</summary>
    /// <exception cref="ArgumentException">The model has no such layer (the message lists the nearest paths).</exception>
    /// <exception cref="NotSupportedException">The layer is not a one-tensor-to-one-tensor module.</exception>
    public LayerExplainer At(Layer layer) => new(Forward, LayerBinding.Resolve(Forward, layer), toInput: false);

    /// <summary>Attributes to the output of a layer whose module type and rank are known (typed neuron indices).</summary>
    public LayerExplainer<TModule, TRank> At<TModule, TRank>(Layer<TModule, TRank> layer) where TModule : nn.Module where TRank : NeuronRank =>
        new(At((Layer)layer), layer);

    /// <summary>Attributes to the outputs of several layers at once (methods that allow it; one result per layer).</summary>
    public MultiLayerExplainer At(params Layer[] layers) => For(Target.None).At(layers);

    /// <summary>Attributes to the input of <paramref name="layer"/> (Captum's <c>attribute_to_layer_input</c>).</summary>
    public LayerExplainer AtInputOf(Layer layer) => new(Forward, LayerBinding.Resolve(Forward, layer), toInput: true);

    /// <summary>Attributes to the inputs of several layers at once.</summary>
    public MultiLayerExplainer AtInputOf(params Layer[] layers) => For(Target.None).AtInputOf(layers);
}

public sealed partial class TargetedExplainer
{
    /// <inheritdoc cref="Explainer.At(Layer)" />
    public TargetedLayerExplainer At(Layer layer) => new(Forward, Target, LayerBinding.Resolve(Forward, layer), toInput: false);

    /// <inheritdoc cref="Explainer.At{TModule, TRank}(Layer{TModule, TRank})" />
    public TargetedLayerExplainer<TModule, TRank> At<TModule, TRank>(Layer<TModule, TRank> layer) where TModule : nn.Module where TRank : NeuronRank =>
        new(At((Layer)layer), layer);

    /// <inheritdoc cref="Explainer.At(Layer[])" />
    public MultiLayerExplainer At(params Layer[] layers) => new(Forward, Target, LayerBinding.Resolve(Forward, layers), toInput: false);

    /// <inheritdoc cref="Explainer.AtInputOf(Layer)" />
    public TargetedLayerExplainer AtInputOf(Layer layer) => new(Forward, Target, LayerBinding.Resolve(Forward, layer), toInput: true);

    /// <inheritdoc cref="Explainer.AtInputOf(Layer[])" />
    public MultiLayerExplainer AtInputOf(params Layer[] layers) => new(Forward, Target, LayerBinding.Resolve(Forward, layers), toInput: true);
}
