using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Layer activation times the gradient of the target output with respect to it (or the gradient alone when not
/// multiplying by inputs). Several layers at once are allowed. Captum's <c>LayerGradientXActivation</c>.
/// </summary>
public sealed record LayerGradientXActivation : MultiLayerAttributionMethod
{
    private LayerGradientXActivation() { }

    /// <summary>Gradient × activation (Captum's default, <c>multiply_by_inputs=True</c>).</summary>
    public static LayerGradientXActivation Default { get; } = new();

    /// <summary>Whether gradients are multiplied by the layer's activations. <value>The default value is true.</value></summary>
    public bool MultipliesByInputs { get; private init; } = true;

    /// <summary>Returns gradient × activation (true) or the layer gradient alone (false).</summary>
    public LayerGradientXActivation MultiplyByInputs(bool multiply = true) => this with { MultipliesByInputs = multiply };

    /// <inheritdoc />
    public override string Name => nameof(LayerGradientXActivation);

    /// <inheritdoc />
    public override string Describe() => MultipliesByInputs ? Name : Name + "(gradient only)";

    internal override Attribution Attribute(LayerContext context)
    {
        using var scope = NewDisposeScope();
        var run = context.Run;
        var (grads, values, _) = LayerProbe.Gradients(run, run.Inputs, context.Layers, context.ToInput, run.Target);
        var result = grads.Select((g, i) => (MultipliesByInputs ? g * values[i] : g).MoveToOuterDisposeScope()).ToArray();
        return Result(context, result);
    }
}
