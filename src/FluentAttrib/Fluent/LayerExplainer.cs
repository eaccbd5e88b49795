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

internal static class LayerBinding
{
    public static ResolvedLayer Resolve(ForwardFunction forward, Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var model = forward.Module ?? throw new InvalidOperationException(
            $"Layer attribution needs the model as a module (Explain(module)), not {forward.Description}: its layers are found by path and hooked.");
        return LayerResolver.Resolve(model, layer);
    }

    public static ResolvedLayer[] Resolve(ForwardFunction forward, Layer[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Length == 0) throw new ArgumentException("Give at least one layer.", nameof(layers));
        return layers.Select(l => Resolve(forward, l)).ToArray();
    }

    /// <summary>The neuron at <paramref name="index"/>: checked against the layer's declared shape.</summary>
    public static NeuronSelector Neuron(ResolvedLayer layer, bool toInput, NeuronAxis[] index)
    {
        ArgumentNullException.ThrowIfNull(index);
        if (index.Length == 0) throw new ArgumentException("Give one index per dimension of the layer's output (without batch).", nameof(index));
        var selector = NeuronSelector.Of((NeuronAxis[])index.Clone());
        selector.CheckDeclared(layer.Handle, toInput);
        return selector;
    }

    /// <summary>The neuron a function of the layer's value selects.</summary>
    public static NeuronSelector Neuron(Func<Tensor, Tensor> selector)
    {
        ArgumentNullException.ThrowIfNull(selector);
        return NeuronSelector.Of(selector);
    }
}

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

/// <summary>
/// A model and a layer whose module type and output rank are known, without a target: neuron indices are checked at
/// compile time (<see cref="NeuronExtensions"/>). Next: <see cref="With"/>, <see cref="For"/> or <c>Neuron(...)</c>.
/// </summary>
/// <typeparam name="TModule">The layer's module type.</typeparam>
/// <typeparam name="TRank">The rank of the layer's output without batch.</typeparam>
public sealed class LayerExplainer<TModule, TRank> where TModule : nn.Module where TRank : NeuronRank
{
    internal LayerExplainer(LayerExplainer untyped, Layer<TModule, TRank> layer)
    {
        Untyped = untyped;
        Layer = layer;
    }

    /// <summary>The same step without compile-time neuron checks (for indices computed at run time).</summary>
    public LayerExplainer Untyped { get; }

    /// <summary>The layer.</summary>
    public Layer<TModule, TRank> Layer { get; }

    /// <summary>Explains the output(s) that <paramref name="target"/> selects.</summary>
    public TargetedLayerExplainer<TModule, TRank> For(Target target) => new(Untyped.For(target), Layer);

    /// <summary>Uses the layer method <paramref name="method"/>.</summary>
    public LayerAttributionRun With(LayerAttributionMethod method) => Untyped.With(method);

    /// <inheritdoc cref="LayerExplainer.Neuron(Func{Tensor, Tensor})" />
    public NeuronExplainer Neuron(Func<Tensor, Tensor> selector) => Untyped.Neuron(selector);
}

/// <summary>
/// A model, a target and a layer whose module type and output rank are known: neuron indices are checked at compile
/// time (<see cref="NeuronExtensions"/>). Next: <see cref="With"/> or <c>Neuron(...)</c>.
/// </summary>
/// <typeparam name="TModule">The layer's module type.</typeparam>
/// <typeparam name="TRank">The rank of the layer's output without batch.</typeparam>
public sealed class TargetedLayerExplainer<TModule, TRank> where TModule : nn.Module where TRank : NeuronRank
{
    internal TargetedLayerExplainer(TargetedLayerExplainer untyped, Layer<TModule, TRank> layer)
    {
        Untyped = untyped;
        Layer = layer;
    }

    /// <summary>The same step without compile-time neuron checks (for indices computed at run time).</summary>
    public TargetedLayerExplainer Untyped { get; }

    /// <summary>The layer.</summary>
    public Layer<TModule, TRank> Layer { get; }

    /// <summary>The target being explained.</summary>
    public Target Target => Untyped.Target;

    /// <summary>Explains the output(s) that <paramref name="target"/> selects instead.</summary>
    public TargetedLayerExplainer<TModule, TRank> For(Target target) => new(Untyped.For(target), Layer);

    /// <summary>Uses the layer method <paramref name="method"/>.</summary>
    public LayerAttributionRun With(LayerAttributionMethod method) => Untyped.With(method);

    /// <inheritdoc cref="LayerExplainer.Neuron(Func{Tensor, Tensor})" />
    public TargetedNeuronExplainer Neuron(Func<Tensor, Tensor> selector) => Untyped.Neuron(selector);
}

/// <summary>Typed neuron selection: the number of indices equals the layer's rank.</summary>
public static class NeuronExtensions
{
    /// <summary>The neuron at <paramref name="i"/> of a rank-1 layer (e.g. a Linear layer's feature).</summary>
    public static NeuronExplainer Neuron<TModule>(this LayerExplainer<TModule, Rank1> layer, NeuronAxis i) where TModule : nn.Module =>
        Checked(layer).Untyped.Neuron(i);

    /// <summary>The neuron at (<paramref name="i"/>, <paramref name="j"/>) of a rank-2 layer.</summary>
    public static NeuronExplainer Neuron<TModule>(this LayerExplainer<TModule, Rank2> layer, NeuronAxis i, NeuronAxis j) where TModule : nn.Module =>
        Checked(layer).Untyped.Neuron(i, j);

    /// <summary>The neuron at (<paramref name="channel"/>, <paramref name="row"/>, <paramref name="column"/>) of a rank-3 layer.</summary>
    public static NeuronExplainer Neuron<TModule>(this LayerExplainer<TModule, Rank3> layer, NeuronAxis channel, NeuronAxis row, NeuronAxis column)
        where TModule : nn.Module => Checked(layer).Untyped.Neuron(channel, row, column);

    /// <summary>The neuron at (<paramref name="i"/>, <paramref name="j"/>, <paramref name="k"/>, <paramref name="l"/>) of a rank-4 layer.</summary>
    public static NeuronExplainer Neuron<TModule>(this LayerExplainer<TModule, Rank4> layer, NeuronAxis i, NeuronAxis j, NeuronAxis k, NeuronAxis l)
        where TModule : nn.Module => Checked(layer).Untyped.Neuron(i, j, k, l);

    /// <summary>The neuron at <paramref name="i"/> of a rank-1 layer, for a method that explains the target through it.</summary>
    public static TargetedNeuronExplainer Neuron<TModule>(this TargetedLayerExplainer<TModule, Rank1> layer, NeuronAxis i) where TModule : nn.Module =>
        Checked(layer).Untyped.Neuron(i);

    /// <summary>The neuron at (<paramref name="i"/>, <paramref name="j"/>) of a rank-2 layer, for a method that explains the target through it.</summary>
    public static TargetedNeuronExplainer Neuron<TModule>(this TargetedLayerExplainer<TModule, Rank2> layer, NeuronAxis i, NeuronAxis j) where TModule : nn.Module =>
        Checked(layer).Untyped.Neuron(i, j);

    /// <summary>The neuron at (<paramref name="channel"/>, <paramref name="row"/>, <paramref name="column"/>) of a rank-3 layer, for a method that explains the target through it.</summary>
    public static TargetedNeuronExplainer Neuron<TModule>(this TargetedLayerExplainer<TModule, Rank3> layer, NeuronAxis channel, NeuronAxis row, NeuronAxis column)
        where TModule : nn.Module => Checked(layer).Untyped.Neuron(channel, row, column);

    /// <summary>The neuron at (<paramref name="i"/>, <paramref name="j"/>, <paramref name="k"/>, <paramref name="l"/>) of a rank-4 layer, for a method that explains the target through it.</summary>
    public static TargetedNeuronExplainer Neuron<TModule>(this TargetedLayerExplainer<TModule, Rank4> layer, NeuronAxis i, NeuronAxis j, NeuronAxis k, NeuronAxis l)
        where TModule : nn.Module => Checked(layer).Untyped.Neuron(i, j, k, l);

    private static T Checked<T>(T layer) where T : class
    {
        ArgumentNullException.ThrowIfNull(layer);
        return layer;
    }
}

/// <summary>A model, a target and several layers. Next: a method that allows several layers, with <see cref="With"/>.</summary>
public sealed class MultiLayerExplainer
{
    internal MultiLayerExplainer(ForwardFunction forward, Target target, ResolvedLayer[] layers, bool toInput)
    {
        Forward = forward;
        Target = target;
        Resolved = layers;
        AttributesToInput = toInput;
    }

    internal ForwardFunction Forward { get; }
    internal ResolvedLayer[] Resolved { get; }

    /// <summary>The target being explained.</summary>
    public Target Target { get; }

    /// <summary>The layers, in the order results are returned.</summary>
    public IReadOnlyList<Layer> Layers => Resolved.Select(l => l.Handle).ToArray();

    /// <summary>True when attributing to the layers' inputs rather than their outputs.</summary>
    public bool AttributesToInput { get; }

    /// <summary>Explains the output(s) that <paramref name="target"/> selects.</summary>
    public MultiLayerExplainer For(Target target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return new(Forward, target, Resolved, AttributesToInput);
    }

    /// <summary>Uses <paramref name="method"/>; the result holds one tensor per layer.</summary>
    public LayerAttributionRun With(MultiLayerAttributionMethod method)
    {
        ArgumentNullException.ThrowIfNull(method);
        return new(Forward, Target, Resolved, AttributesToInput, method);
    }
}

/// <summary>
/// A neuron of a layer, without a target. Next: <see cref="With"/> (any neuron method; one that explains a target
/// through the neuron explains the model's single output), or <see cref="For"/>.
/// </summary>
public sealed class NeuronExplainer
{
    internal NeuronExplainer(ForwardFunction forward, ResolvedLayer layer, bool toInput, NeuronSelector selector)
    {
        Forward = forward;
        Resolved = layer;
        AttributesToInput = toInput;
        Selector = selector;
    }

    internal ForwardFunction Forward { get; }
    internal ResolvedLayer Resolved { get; }
    internal NeuronSelector Selector { get; }

    /// <summary>The layer.</summary>
    public Layer Layer => Resolved.Handle;

    /// <summary>True when the neuron is in the layer's input rather than its output.</summary>
    public bool AttributesToInput { get; }

    /// <summary>
    /// Explains the output(s) that <paramref name="target"/> selects through the neuron; the next step accepts only
    /// methods that do (<see cref="TargetedNeuronAttributionMethod"/>, e.g. NeuronConductance).
    /// </summary>
    public TargetedNeuronExplainer For(Target target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return new(Forward, target, Resolved, AttributesToInput, Selector);
    }

    /// <summary>Uses the neuron method <paramref name="method"/> (e.g. <c>NeuronIntegratedGradients.Steps(50)</c>).</summary>
    public NeuronAttributionRun With(NeuronAttributionMethod method)
    {
        ArgumentNullException.ThrowIfNull(method);
        return new(Forward, Target.None, Resolved, AttributesToInput, Selector, method);
    }

    /// <inheritdoc />
    public override string ToString() => $"neuron {Selector} of layer {Resolved}";
}

/// <summary>
/// A neuron of a layer and a target. Next: <see cref="With"/>, which accepts only neuron methods that explain the
/// target through the neuron (<see cref="TargetedNeuronAttributionMethod"/>, e.g. NeuronConductance): a method that
/// attributes the neuron alone takes no target, and passing one is a compile-time error.
/// </summary>
public sealed class TargetedNeuronExplainer
{
    internal TargetedNeuronExplainer(ForwardFunction forward, Target target, ResolvedLayer layer, bool toInput, NeuronSelector selector)
    {
        Forward = forward;
        Target = target;
        Resolved = layer;
        AttributesToInput = toInput;
        Selector = selector;
    }

    internal ForwardFunction Forward { get; }
    internal ResolvedLayer Resolved { get; }
    internal NeuronSelector Selector { get; }

    /// <summary>The target explained through the neuron.</summary>
    public Target Target { get; }

    /// <summary>The layer.</summary>
    public Layer Layer => Resolved.Handle;

    /// <summary>True when the neuron is in the layer's input rather than its output.</summary>
    public bool AttributesToInput { get; }

    /// <summary>Explains the output(s) that <paramref name="target"/> selects instead.</summary>
    public TargetedNeuronExplainer For(Target target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return new(Forward, target, Resolved, AttributesToInput, Selector);
    }

    /// <summary>Uses <paramref name="method"/> (e.g. <c>NeuronConductance.Steps(50)</c>) to explain the target through the neuron.</summary>
    public NeuronAttributionRun With(TargetedNeuronAttributionMethod method)
    {
        ArgumentNullException.ThrowIfNull(method);
        return new(Forward, Target, Resolved, AttributesToInput, Selector, method);
    }

    /// <inheritdoc />
    public override string ToString() => $"neuron {Selector} of layer {Resolved} for target {Target}";
}

/// <summary>A layer method ready to run, with the shared run options of <see cref="AttributionRunBase{TSelf}"/>.</summary>
public sealed record LayerAttributionRun : AttributionRunBase<LayerAttributionRun>
{
    internal LayerAttributionRun(ForwardFunction forward, Target target, ResolvedLayer[] layers, bool toInput, LayerAttributionMethod method)
        : base(forward, target)
    {
        Resolved = layers;
        AttributesToInput = toInput;
        Method = method;
    }

    internal ResolvedLayer[] Resolved { get; }

    /// <summary>The layers attributed to.</summary>
    public IReadOnlyList<Layer> Layers => Resolved.Select(l => l.Handle).ToArray();

    /// <summary>True when attributing to the layers' inputs.</summary>
    public bool AttributesToInput { get; }

    /// <summary>The method that will run.</summary>
    public LayerAttributionMethod Method { get; }

    /// <summary>Attributes the model's output to the layer's neurons for <paramref name="input"/>.</summary>
    public Attribution Attribute(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Attribute([input]);
    }

    /// <summary>Attributes for a multi-input model. The result holds one tensor per layer, each of the layer's shape.</summary>
    public Attribution Attribute(params Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return Execute(inputs, Method.Name, integerInputs: true,
            run => Method.Attribute(new LayerContext { Run = run, Layers = Resolved, ToInput = AttributesToInput }));
    }
}

/// <summary>A neuron method ready to run, with the shared run options of <see cref="AttributionRunBase{TSelf}"/>.</summary>
public sealed record NeuronAttributionRun : AttributionRunBase<NeuronAttributionRun>
{
    internal NeuronAttributionRun(ForwardFunction forward, Target target, ResolvedLayer layer, bool toInput, NeuronSelector selector,
        NeuronAttributionMethod method) : base(forward, target)
    {
        Resolved = layer;
        AttributesToInput = toInput;
        Selector = selector;
        Method = method;
    }

    internal ResolvedLayer Resolved { get; }
    internal NeuronSelector Selector { get; }

    /// <summary>The layer of the neuron.</summary>
    public Layer Layer => Resolved.Handle;

    /// <summary>True when the neuron is in the layer's input.</summary>
    public bool AttributesToInput { get; }

    /// <summary>The method that will run.</summary>
    public NeuronAttributionMethod Method { get; }

    /// <summary>Attributes the neuron to <paramref name="input"/>.</summary>
    public Attribution Attribute(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Attribute([input]);
    }

    /// <summary>Attributes the neuron to each input of a multi-input model (one result per input).</summary>
    public Attribution Attribute(params Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return Execute(inputs, Method.Name, integerInputs: true,
            run => Method.Attribute(new NeuronContext { Run = run, Layer = Resolved, ToInput = AttributesToInput, Selector = Selector }));
    }
}
