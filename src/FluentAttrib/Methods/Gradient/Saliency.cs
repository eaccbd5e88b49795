using FluentAttrib.Core;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Saliency: the gradient of the target output with respect to each input element, by default its absolute value
/// (Simonyan et al., 2013; Captum's <c>Saliency</c>).
/// </summary>
public sealed record Saliency : AttributionMethod
{
    private Saliency() { }

    /// <summary>Absolute gradients (Captum's default, <c>abs=True</c>).</summary>
    public static Saliency Default { get; } = new();

    /// <summary>Signed gradients (<c>abs=False</c>).</summary>
    public static Saliency Signed { get; } = new() { TakesAbsolute = false };

    /// <summary>Whether the absolute value of the gradient is returned. <value>The default value is true.</value></summary>
    public bool TakesAbsolute { get; private init; } = true;

    /// <summary>Returns absolute (true) or signed (false) gradients.</summary>
    public Saliency Absolute(bool absolute = true) => this with { TakesAbsolute = absolute };

    /// <inheritdoc />
    public override string Name => nameof(Saliency);

    /// <inheritdoc />
    public override string Describe() => TakesAbsolute ? "Saliency" : "Saliency(signed)";

    internal override Attribution Attribute(AttributionContext context)
    {
        using var scope = NewDisposeScope();
        var (grads, _) = Gradients.Compute(context, context.Inputs, context.Target);
        var values = grads.Select(g => (TakesAbsolute ? g.abs() : g).MoveToOuterDisposeScope()).ToArray();
        return Result(context, values);
    }
}
