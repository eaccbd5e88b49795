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
