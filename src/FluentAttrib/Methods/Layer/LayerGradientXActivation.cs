using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Layer activation times the gradient of the target output with respect to it (or the gradient alone when not
/// multiplying by inputs). Several layers at once are allowed. Captum's <c>LayerGradientXActivation</c>.
/// </summary>
public sealed record LayerGradientXActivation : MultiLayerAttributionMethod, IMultiplyByInputsSetting
{
    private LayerGradientXActivation() : base(new SettingValues()) { }

    /// <summary>Gradient × activation (Captum's default, <c>multiply_by_inputs=True</c>).</summary>
    public static LayerGradientXActivation Default { get; } = new();

    /// <summary>The method's settings, read back by name (<c>Settings.MultiplyByInputs</c>).</summary>
    public MethodSettings<LayerGradientXActivation> Settings => new(Values);


    /// <inheritdoc />
    public override string Describe() => Values.MultiplyByInputs ? Name : Name + "(gradient only)";

    internal override Attribution Attribute(LayerContext context)
    {
        using var scope = NewDisposeScope();
        var run = context.Run;
        bool multiply = Values.MultiplyByInputs;
        var (grads, values, _) = LayerProbe.Gradients(run, run.Inputs, context.Layers, context.ToInput, run.Target);
        var result = grads.Select((g, i) => (multiply ? g * values[i] : g).MoveToOuterDisposeScope()).ToArray();
        return Result(context, result);
    }
}
