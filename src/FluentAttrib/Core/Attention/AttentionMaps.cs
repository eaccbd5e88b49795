using FluentAttrib.Core.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FluentAttrib.Core.Attention;

/// <summary>
/// Shared machinery of the attention-aware methods: finding the attention layers, reading their probabilities
/// (and the target's gradients with respect to them) in one forward pass, fusing heads, adding the residual
/// connection, and reading relevance out for the first token or the mean of the real tokens. Computations are done in
/// float64 and returned in the attention's dtype, on its device.
/// </summary>
internal static class AttentionMaps
{
    /// <summary>The set attention layers, or every <see cref="Softmax"/> module of the model in module order.</summary>
    public static List<ResolvedLayer> Resolve(AttributionContext ctx, SettingValues values, string method)
    {
        var model = ctx.Forward.Module ?? throw new ArgumentException(
            $"{method} reads the attention inside the model: explain an nn.Module (Explain(model)), not a plain forward function.", "model");
        if (ctx.Inputs.Length != 1)
            throw new ArgumentException($"{method} attributes to the tokens of one input; {ctx.Inputs.Length} inputs were given (pass the attention mask as an additional argument).", "inputs");
        if (ctx.Inputs[0].dim() < 2)
            throw new ArgumentException($"{method} needs inputs of shape (N, L, ...) — one row of L tokens per example; got {Shapes.Format(ctx.Inputs[0].shape)}.", "inputs");
        if (values.AttentionLayers.Count > 0)
            return [.. values.AttentionLayers.Select(l => LayerResolver.Resolve(model, l))];
        var paths = model.named_modules().Where(m => m.module is Softmax).Select(m => m.name).Distinct(StringComparer.Ordinal).ToList();
        if (paths.Count == 0)
            throw new ArgumentException(
                $"{method} found no Softmax module in {ctx.Forward.Description}: name the modules whose outputs are the attention probabilities (N, heads, L, L) with AttentionLayers(...). " +
                "(A model that computes softmax functionally has no module to read; FluentAttrib.Architectures.ExplainableBert has one per layer.)", "model");
        return [.. paths.Select(p => LayerResolver.Resolve(model, new Layer(p)))];
    }

    /// <summary>The attention probabilities of every layer, (N, H, L, L), in float64 (no gradient).</summary>
    public static (Tensor[] Maps, ScalarType Dtype) Capture(AttributionContext ctx, IReadOnlyList<ResolvedLayer> layers, string method)
    {
        var (values, _) = LayerProbe.Evaluate(ctx, ctx.Inputs, layers, toInput: false);
        Check(ctx, layers, values, method);
        return ([.. values.Select(v => v.to(ScalarType.Float64))], values[0].dtype);
    }

    /// <summary>The attention probabilities and the target's gradients with respect to them, in float64.</summary>
    public static (Tensor[] Maps, Tensor[] Gradients, ScalarType Dtype) CaptureWithGradients(AttributionContext ctx, IReadOnlyList<ResolvedLayer> layers, string method)
    {
        var (grads, values, _) = LayerProbe.Gradients(ctx, ctx.Inputs, layers, toInput: false, ctx.Target);
        Check(ctx, layers, values, method);
        return ([.. values.Select(v => v.to(ScalarType.Float64))], [.. grads.Select(g => g.to(ScalarType.Float64))], values[0].dtype);
    }

    private static void Check(AttributionContext ctx, IReadOnlyList<ResolvedLayer> layers, Tensor[] values, string method)
    {
        long n = ctx.BatchSize, length = ctx.Inputs[0].shape[1];
        for (int i = 0; i < values.Length; i++)
        {
            var s = values[i].shape;
            if (s.Length != 4 || s[0] != n || s[2] != s[3] || s[2] != length)
                throw new ArgumentException(
                    $"{method} needs attention probabilities of shape (N, heads, L, L) = ({n}, heads, {length}, {length}) from every attention layer; " +
                    $"layer {layers[i]} gives {Shapes.Format(s)}. Name the attention-softmax modules with AttentionLayers(...).", "model");
        }
    }

    /// <summary>
    /// Which tokens are real, (N, L) bool: those that receive attention in the first layer. Padding excluded by an
    /// additive −10000 (or −∞) gets exactly zero probability.
    /// </summary>
    public static Tensor RealTokens(Tensor firstMap) => firstMap.amax([1, 2]) > 0;

    /// <summary>Fuses the heads: (N, H, L, L) → (N, L, L).</summary>
    public static Tensor Fuse(Tensor map, AttentionHeadFusion fusion) => fusion switch
    {
        AttentionHeadFusion.Max => map.amax([1]),
        AttentionHeadFusion.Min => map.amin([1]),
        _ => map.mean([1]),
    };

    /// <summary>The residual connection as Abnar and Zuidema model it: (A + I), each row renormalised to sum 1.</summary>
    public static Tensor WithResidual(Tensor fused)
    {
        var a = fused + eye(fused.shape[^1], dtype: fused.dtype, device: fused.device);
        return a / a.sum(-1, keepdim: true);
    }

    /// <summary>Relevance of each input token (N, L) from a token-to-token matrix (N, L, L) whose row i is output token i.</summary>
    public static Tensor Read(Tensor matrix, Tensor real, AttentionReadout readout)
    {
        var realF = real.to(matrix.dtype);
        Tensor rows = readout == AttentionReadout.FirstToken
            ? matrix.select(1, 0)
            : (matrix * realF.unsqueeze(-1)).sum(1) / realF.sum(1, keepdim: true).clamp_min(1);
        return rows * realF;
    }
}
