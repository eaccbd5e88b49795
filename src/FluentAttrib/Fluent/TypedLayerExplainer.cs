using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib;

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
