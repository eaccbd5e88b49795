using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib;

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
