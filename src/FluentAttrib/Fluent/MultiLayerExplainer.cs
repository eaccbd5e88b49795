using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib;

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
