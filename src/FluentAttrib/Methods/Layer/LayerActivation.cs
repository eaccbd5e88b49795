using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// The activations of a layer (its output, or its input with <c>AtInputOf</c>) for the given inputs; no gradient, no
/// target. Several layers at once are allowed (one result per layer). Captum's <c>LayerActivation</c>.
/// </summary>
public sealed record LayerActivation : MultiLayerAttributionMethod
{
    private LayerActivation() : base(new SettingValues()) { }

    /// <summary>The method (it has no settings).</summary>
    public static LayerActivation Default { get; } = new();

    /// <summary>The method's settings (it has none to read back).</summary>
    public MethodSettings<LayerActivation> Settings => new(Values);


    internal override Attribution Attribute(LayerContext context)
    {
        using var scope = NewDisposeScope();
        var (values, _) = LayerProbe.Evaluate(context.Run, context.Run.Inputs, context.Layers, context.ToInput);
        return Result(context, values.Select(v => v.MoveToOuterDisposeScope()).ToArray());
    }
}
