using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Architectures;

/// <summary>
/// Element-wise addition as a module (<c>a + b</c>), for residual connections that rule-based methods must see:
/// LRP gives it the ε-rule by default, splitting relevance between the two summands in proportion to their
/// contribution (Captum's <c>Addition_Module</c>). DeepLift and guided backpropagation treat it as linear.
/// It has no parameters, so it does not change a model's state dict.
/// </summary>
public sealed class Addition : nn.Module<Tensor, Tensor, Tensor>
{
    /// <summary>Creates the module.</summary>
    public Addition() : base(nameof(Addition)) { }

    /// <inheritdoc />
    public override Tensor forward(Tensor a, Tensor b) => a + b;
}
