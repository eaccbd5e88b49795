using FluentAttrib.Core;
using FluentAttrib.Core.Rules;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Deconvolution (Zeiler and Fergus, 2014): the gradient of the target, where every ReLU module passes back
/// relu(the gradient at its output), ignoring its forward mask. Equal to Captum's <c>Deconvolution</c>: only
/// <c>nn.ReLU</c> modules change; functional ReLUs cannot be reached, so TorchVision's ResNet is rejected (use
/// <see cref="Architectures.ExplainableResNet"/>). A ReLU module used several times is handled call by call. The model is
/// left exactly as it was.
/// </summary>
public sealed record Deconvolution : AttributionMethod
{
    private Deconvolution() : base(new SettingValues()) { }

    /// <summary>The method (it has no settings).</summary>
    public static Deconvolution Default { get; } = new();

    /// <summary>The method's settings (it has none to read back; present so every method reads alike).</summary>
    public MethodSettings<Deconvolution> Settings => new(Values);


    internal override Attribution Attribute(AttributionContext context)
    {
        using var scope = NewDisposeScope();
        var grads = ModifiedReluRule.Gradients(context, Name, useGradOutput: true);
        context.Report(Name, 1, 1);
        return Result(context, grads.Select(g => g.MoveToOuterDisposeScope()).ToArray());
    }
}
