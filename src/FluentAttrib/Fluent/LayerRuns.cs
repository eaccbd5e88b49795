using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib;

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
