using FluentAttrib.Core.Layers;
using FluentAttrib.Core.Rules;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Guided backpropagation of one neuron of a layer (see <see cref="GuidedBackprop"/>): the neuron's gradient with
/// respect to the inputs, every ReLU module passing back only positive gradients. Captum's <c>NeuronGuidedBackprop</c>.
/// </summary>
public sealed record NeuronGuidedBackprop : NeuronAttributionMethod
{
    private NeuronGuidedBackprop() : base(new SettingValues()) { }

    /// <summary>The method (it has no settings).</summary>
    public static NeuronGuidedBackprop Default { get; } = new();

    /// <summary>The method's settings (it has none to read back; present so every method reads alike).</summary>
    public MethodSettings<NeuronGuidedBackprop> Settings => new(Values);


    internal override Attribution Attribute(NeuronContext context) => ModifiedReluNeuron.Attribute(context, Name, useGradOutput: false, Result);
}

internal static class ModifiedReluNeuron
{
    public static Attribution Attribute(NeuronContext context, string method, bool useGradOutput, Func<NeuronContext, Tensor[], Tensor?, Attribution> result)
    {
        var run = context.Run;
        using var scope = NewDisposeScope();
        Tensor[] grads;
        using (var session = ModifiedReluRule.Open(run, method, useGradOutput))
        {
            run.ThrowIfCancelled();
            grads = session.Run(() => LayerProbe.NeuronGradients(run, run.Inputs, context.Layer, context.ToInput, context.Selector));
        }
        run.Report(method, 1, 1);
        return result(context, grads.Select(g => g.MoveToOuterDisposeScope()).ToArray(), null);
    }
}
