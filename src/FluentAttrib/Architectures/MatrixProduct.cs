using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Architectures;

/// <summary>
/// Batched matrix product as a module (<c>a.matmul(b)</c>), for the two products of self-attention (queries × keys,
/// attention × values) that attention-aware and rule-based methods must see: hooks on it observe both factors and
/// the product. It has no parameters, so it does not change a model's state dict.
/// </summary>
public sealed class MatrixProduct : nn.Module<Tensor, Tensor, Tensor>
{
    /// <summary>Creates the module.</summary>
    public MatrixProduct() : base(nameof(MatrixProduct)) { }

    /// <inheritdoc />
    public override Tensor forward(Tensor a, Tensor b) => a.matmul(b);
}
