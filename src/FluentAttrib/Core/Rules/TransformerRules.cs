using FluentAttrib.Architectures;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FluentAttrib.Core.Rules;

/// <summary>
/// AttnLRP's rules (Achtibat et al., 2024) and CP-LRP's (Ali et al., 2022) in gradient × input form: each rule is a
/// forward hook that hands the model a value equal to the module's output whose gradient is the rule's. With them,
/// gradient × activation at any layer is that layer's relevance (LRP-0 on linear layers and additions, whose biases
/// absorb their share).
/// <list type="bullet">
/// <item>element-wise activations (GELU, SiLU): identity rule, x · stop(y / x): relevance passes unchanged;</item>
/// <item>LayerNorm: the standard deviation is a constant, so the layer is linear;</item>
/// <item>L2 normalisation: the norm is a constant;</item>
/// <item>matrix products of two inputs that both carry relevance (queries × keys, attention × values): uniform rule,
/// ½ · y + ½ · stop(y), each factor gets half;</item>
/// <item>softmax: AttnLRP keeps its gradient (its rule, Taylor at the input, is gradient × input); CP-LRP stops it, so
/// the attention probabilities are constants and relevance flows through the values only.</item>
/// </list>
/// </summary>
internal static class TransformerRules
{
    /// <summary>Hooks the rules onto every matching module of <paramref name="model"/>; active only while <paramref name="owner"/> is.</summary>
    public static List<Action> Install(nn.Module model, bool detachAttention, HookOwner owner)
    {
        var removers = new List<Action>();
        try
        {
            foreach (var (_, module) in model.named_modules())
            {
                switch (module)
                {
                    case GELU or SiLU:
                        removers.Add(ModuleHooks.AddPost((nn.Module<Tensor, Tensor>)module, (_, x, y) => owner.IsActiveHere ? Identity(x, y) : null));
                        break;
                    case LayerNorm norm:
                        removers.Add(ModuleHooks.AddPost(norm, (_, x, y) => owner.IsActiveHere ? ConstantStd(norm, x) : null));
                        break;
                    case L2Normalization l2:
                        removers.Add(ModuleHooks.AddPost(l2, (_, x, y) => owner.IsActiveHere ? x / x.norm(-1, keepdim: true).clamp_min(1e-12).detach() : null));
                        break;
                    case Softmax softmax when detachAttention:
                        removers.Add(ModuleHooks.AddPost(softmax, (_, _, y) => owner.IsActiveHere ? y.detach() : null));
                        break;
                    case MatrixProduct product:
                        removers.Add(ModuleHooks.AddPost(product, (_, a, b, y) =>
                            owner.IsActiveHere && a.requires_grad && b.requires_grad ? 0.5 * y + 0.5 * y.detach() : null));
                        break;
                }
            }
            return removers;
        }
        catch
        {
            foreach (var r in removers) r();
            throw;
        }
    }

    /// <summary>x · stop(y / x) (½ where x is 0, GELU's and SiLU's slope there): the value y, the gradient of a gate.</summary>
    private static Tensor Identity(Tensor x, Tensor y)
    {
        var zero = x == 0;
        var gate = where(zero, full_like(x, 0.5), y / where(zero, ones_like(x), x));
        return x * gate.detach();
    }

    private static Tensor ConstantStd(LayerNorm norm, Tensor x)
    {
        var dims = Enumerable.Range(0, norm.normalized_shape.Length).Select(i => (long)(x.dim() - 1 - i)).ToArray();
        var centered = x - x.mean(dims, keepdim: true);
        var std = (centered.pow(2).mean(dims, keepdim: true) + norm.eps).sqrt().detach();
        var y = centered / std;
        if (norm.weight is { } w) y = y * w;
        if (norm.bias is { } b) y = y + b;
        return y;
    }
}
