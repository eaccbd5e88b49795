using FluentAttrib.Core;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Saliency: the gradient of the target output with respect to each input element, by default its absolute value
/// (Simonyan et al., 2013; Captum's <c>Saliency</c>).
/// </summary>
public sealed record Saliency : AttributionMethod
{
    private Saliency(SettingValues values) : base(values) { }

    /// <summary>Absolute gradients (Captum's default, <c>abs=True</c>).</summary>
    public static Saliency Default { get; } = new(new SettingValues());

    /// <summary>Signed gradients (<c>abs=False</c>): <c>Default.Absolute(false)</c>.</summary>
    public static Saliency Signed { get; } = Default.Absolute(false);

    /// <summary>The method's settings, read back by name (<c>Settings.Absolute</c>).</summary>
    public MethodSettings<Saliency> Settings => new(Values);

    /// <summary>Returns absolute (true, the default) or signed (false) gradients (Captum's <c>abs</c>).</summary>
    public Saliency Absolute(bool absolute = true) => this with { Values = Values with { Absolute = absolute } };


    /// <inheritdoc />
    public override string Describe() => Values.Absolute ? "Saliency" : "Saliency(signed)";

    internal override Attribution Attribute(AttributionContext context)
    {
        using var scope = NewDisposeScope();
        bool absolute = Values.Absolute;
        var (grads, _) = Gradients.Compute(context, context.Inputs, context.Target);
        var values = grads.Select(g => (absolute ? g.abs() : g).MoveToOuterDisposeScope()).ToArray();
        return Result(context, values);
    }
}
