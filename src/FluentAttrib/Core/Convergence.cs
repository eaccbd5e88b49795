using static TorchSharp.torch;

namespace FluentAttrib.Core;

/// <summary>Convergence delta of completeness-style methods: Σ attributions − (F(input) − F(baseline)), per example.</summary>
internal static class Convergence
{
    public static Tensor Delta(AttributionContext ctx, IReadOnlyList<Tensor> attributions, IReadOnlyList<Tensor> baselines,
        IReadOnlyList<Tensor> inputs, Target target)
    {
        using var scope = NewDisposeScope();
        long batch = inputs[0].shape[0];
        var endOut = ctx.ForwardSelected(inputs, target);
        var startOut = ctx.ForwardSelected(baselines.Select(b => b.contiguous()).ToArray(), target);
        Tensor rowSums = zeros(batch, dtype: attributions[0].dtype, device: attributions[0].device);
        foreach (var a in attributions) rowSums = rowSums + a.reshape(batch, -1).sum(dim: 1);
        return (rowSums - (endOut - startOut).to(rowSums.dtype)).MoveToOuterDisposeScope();
    }
}
