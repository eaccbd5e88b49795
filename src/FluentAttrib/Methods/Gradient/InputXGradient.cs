using FluentAttrib.Core;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>Input × Gradient: each input element times the gradient of the target output with respect to it.</summary>
public sealed record InputXGradient : AttributionMethod
{
    private InputXGradient(SettingValues values) : base(values) { }

    /// <summary>The method (it has no settings).</summary>
    public static InputXGradient Default { get; } = new(new SettingValues());

    /// <summary>The method's settings (it has none; present for uniformity).</summary>
    public MethodSettings<InputXGradient> Settings => new(Values);


    internal override Attribution Attribute(AttributionContext context)
    {
        using var scope = NewDisposeScope();
        var (grads, _) = Gradients.Compute(context, context.Inputs, context.Target);
        var values = grads.Select((g, i) => (g * context.Inputs[i]).MoveToOuterDisposeScope()).ToArray();
        return Result(context, values);
    }
}
