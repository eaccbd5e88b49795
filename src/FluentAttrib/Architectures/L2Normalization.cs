using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Architectures;

/// <summary>
/// L2 normalisation of the last dimension as a module (<c>x / ‖x‖</c>), so rule-based methods can treat the norm as
/// a constant (<see cref="AttnLrp"/> does): the output is homogeneous of degree 0 in its input, so gradient × input
/// through it would be 0. It has no parameters.
/// </summary>
public sealed class L2Normalization : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the module.</summary>
    public L2Normalization() : base(nameof(L2Normalization)) { }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => nn.functional.normalize(input, p: 2, dim: -1);
}
