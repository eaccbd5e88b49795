using FluentAttrib.Core.Perturbation;
using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Core.Incremental;

/// <summary>The convolution work of incremental occlusion, counted from the model analysis (for the benchmark).</summary>
internal static class IncrementalCost
{
    /// <summary>
    /// For occlusion of a (B, C, H, W) input of <paramref name="model"/> with <paramref name="window"/> and
    /// <paramref name="stride"/> (C, H, W each): convolution multiply-adds of plain evaluation, of the exact projective
    /// fields (the limit) and of the boxes the evaluator computes, summed over all windows; the copies per pass the
    /// memory budget chooses, and the number of windows. Null when the model is not analysable.
    /// </summary>
    public static (double Full, double Exact, double Planned, int PerPass, int Windows)? ForOcclusion(
        nn.Module<Tensor, Tensor> model, long[] inputShape, long[] window, long[] stride, int? perPass = null)
    {
        var graph = ConvGraph.Analyze(model);
        if (graph is null || !graph.InferShapes(inputShape[1..])) return null;
        var windows = new SlidingWindows(inputShape[1..], window, stride, CPU);
        var regions = PerturbationRegions.Windows((inputShape[1..], window, stride), windows)[1..];
        int k = perPass ?? IncrementalEvaluator.ChoosePerPass(graph, regions, inputShape[0], 4, BatchPlanner.DefaultBudgetBytes());
        var (full, exact, planned) = IncrementalEvaluator.Cost(graph, regions, k);
        return (full, exact, planned, k, windows.Total);
    }
}
