using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib;

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
