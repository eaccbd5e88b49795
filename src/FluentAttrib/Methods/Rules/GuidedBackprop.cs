using FluentAttrib.Core;
using FluentAttrib.Core.Rules;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Guided backpropagation (Springenberg et al., 2015): the gradient of the target, where every ReLU module passes
/// back only the positive part of its standard backward (negative gradients are zeroed on top of the forward mask).
/// Equal to Captum's <c>GuidedBackprop</c>: only <c>nn.ReLU</c> modules change; functional ReLUs cannot be reached,
/// so TorchVision's ResNet is rejected (use <see cref="Architectures.ExplainableResNet"/>). A ReLU module used several
/// times is handled call by call. The model is left exactly as it was.
/// </summary>
public sealed record GuidedBackprop : AttributionMethod
{
    private GuidedBackprop() : base(new SettingValues()) { }

    /// <summary>The method (it has no settings).</summary>
    public static GuidedBackprop Default { get; } = new();

    /// <summary>The method's settings (it has none to read back; present so every method reads alike).</summary>
    public MethodSettings<GuidedBackprop> Settings => new(Values);


    internal override Attribution Attribute(AttributionContext context)
    {
        using var scope = NewDisposeScope();
        var grads = ModifiedReluRule.Gradients(context, Name, useGradOutput: false);
        context.Report(Name, 1, 1);
        return Result(context, grads.Select(g => g.MoveToOuterDisposeScope()).ToArray());
    }
}
