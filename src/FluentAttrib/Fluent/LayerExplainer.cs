using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// A model and a layer, without a target. Next: a layer method with <see cref="With"/>, a target with
/// <see cref="For"/>, or a neuron of the layer with <see cref="Neuron(NeuronAxis[])"/>.
/// </summary>
public sealed class LayerExplainer
{
    internal LayerExplainer(ForwardFunction forward, ResolvedLayer layer, bool toInput)
    {
        Forward = forward;
        Resolved = layer;
        AttributesToInput = toInput;
    }

    internal ForwardFunction Forward { get; }
    internal ResolvedLayer Resolved { get; }

    /// <summary>The layer.</summary>
    public Layer Layer => Resolved.Handle;

    /// <summary>True when attributing to the layer's input rather than its output.</summary>
    public bool AttributesToInput { get; }

    /// <summary>Explains the output(s) that <paramref name="target"/> selects.</summary>
    public TargetedLayerExplainer For(Target target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return new(Forward, target, Resolved, AttributesToInput);
    }

    /// <summary>Uses the layer method <paramref name="method"/> (e.g. <c>LayerGradCam.Default</c>) on the model's single output.</summary>
    public LayerAttributionRun With(LayerAttributionMethod method)
    {
        ArgumentNullException.ThrowIfNull(method);
        return new(Forward, Target.None, [Resolved], AttributesToInput, method);
    }

    /// <summary>
    /// Selects the neuron at <paramref name="index"/> of the layer's output (without batch): one index per dimension;
    /// ranges (<c>0..2</c>) select slices whose neurons are summed.
    /// </summary>
    /// <exception cref="ArgumentException">No index given, or a count that differs from the layer's declared rank.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index outside the layer's declared shape.</exception>
    public NeuronExplainer Neuron(params NeuronAxis[] index) => new(Forward, Resolved, AttributesToInput, LayerBinding.Neuron(Resolved, AttributesToInput, index));

    /// <summary>
    /// Selects the neuron with a function of the layer's output that returns one value per example (shape (B)).
    /// </summary>
    public NeuronExplainer Neuron(Func<Tensor, Tensor> selector) => new(Forward, Resolved, AttributesToInput, LayerBinding.Neuron(selector));
}

/// <summary>
/// A model, a target and a layer. Next: a layer method with <see cref="With"/>, or a neuron of the layer with
/// <see cref="Neuron(NeuronAxis[])"/> (which then accepts only neuron methods that explain a target through it).
/// </summary>
public sealed class TargetedLayerExplainer
{
    internal TargetedLayerExplainer(ForwardFunction forward, Target target, ResolvedLayer layer, bool toInput)
    {
        Forward = forward;
        Target = target;
        Resolved = layer;
        AttributesToInput = toInput;
    }

    internal ForwardFunction Forward { get; }
    internal ResolvedLayer Resolved { get; }

    /// <summary>The target being explained.</summary>
    public Target Target { get; }

    /// <summary>The layer.</summary>
    public Layer Layer => Resolved.Handle;

    /// <summary>True when attributing to the layer's input rather than its output.</summary>
    public bool AttributesToInput { get; }

    /// <summary>Explains the output(s) that <paramref name="target"/> selects instead.</summary>
    public TargetedLayerExplainer For(Target target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return new(Forward, target, Resolved, AttributesToInput);
    }

    /// <summary>Uses the layer method <paramref name="method"/> (e.g. <c>LayerGradCam.Default</c>).</summary>
    public LayerAttributionRun With(LayerAttributionMethod method)
    {
        ArgumentNullException.ThrowIfNull(method);
        return new(Forward, Target, [Resolved], AttributesToInput, method);
    }

    /// <inheritdoc cref="LayerExplainer.Neuron(NeuronAxis[])" />
    public TargetedNeuronExplainer Neuron(params NeuronAxis[] index) =>
        new(Forward, Target, Resolved, AttributesToInput, LayerBinding.Neuron(Resolved, AttributesToInput, index));

    /// <inheritdoc cref="LayerExplainer.Neuron(Func{Tensor, Tensor})" />
    public TargetedNeuronExplainer Neuron(Func<Tensor, Tensor> selector) =>
        new(Forward, Target, Resolved, AttributesToInput, LayerBinding.Neuron(selector));
}
