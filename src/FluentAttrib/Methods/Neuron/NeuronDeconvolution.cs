using FluentAttrib.Core.Layers;
using FluentAttrib.Core.Rules;

namespace FluentAttrib;

/// <summary>
/// Deconvolution of one neuron of a layer (see <see cref="Deconvolution"/>): the neuron's gradient with respect to the
/// inputs, every ReLU module passing back relu(its output gradient). Captum's <c>NeuronDeconvolution</c>.
/// </summary>
public sealed record NeuronDeconvolution : NeuronAttributionMethod
{
    private NeuronDeconvolution() : base(new SettingValues()) { }

    /// <summary>The method (it has no settings).</summary>
    public static NeuronDeconvolution Default { get; } = new();

    /// <summary>The method's settings (it has none to read back; present so every method reads alike).</summary>
    public MethodSettings<NeuronDeconvolution> Settings => new(Values);


    internal override Attribution Attribute(NeuronContext context) => ModifiedReluNeuron.Attribute(context, Name, useGradOutput: true, Result);
}
