using FluentAttrib.Core.Perturbation;
using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Core.Incremental;

/// <summary>Planning of incremental evaluation: the regions each perturbation changes per node, the work they cost, how many copies fit a pass and in which order they run. Execution is in IncrementalEvaluator.cs.</summary>
internal sealed partial class IncrementalEvaluator
{
    /// <summary>
    /// Convolution multiply-adds of plain evaluation (<c>Full</c>), of the exact projective fields (<c>Exact</c>,
    /// the limit of any incremental scheme) and of this evaluator's boxes with <paramref name="perPass"/> copies per
    /// pass (<c>Planned</c>), summed over all perturbations, for one example.
    /// </summary>
    public static (double Full, double Exact, double Planned) Cost(ConvGraph graph, Region[] regions, double? fieldCap, int perPass)
    {
        var (order, passes) = Schedule(graph, regions, fieldCap, perPass);
        return Cost(graph, regions, fieldCap, order, passes);
    }

    /// <summary>As <see cref="Cost(ConvGraph, Region[], double?, int)"/> for a given evaluation order and pass sizes.</summary>
    public static (double Full, double Exact, double Planned) Cost(ConvGraph graph, Region[] regions, double? fieldCap, int[] order, int[] passes)
    {
        double full = 0, exact = 0, planned = 0;
        long fullPer = graph.Nodes.Where(n => n.Kind == NodeKind.Conv).Sum(n => n.Shape[1] * n.Shape[2] * n.MacsPerPosition);
        var ordered = order.Select(i => regions[i]).ToArray();
        int start = 0;
        foreach (int k in passes)
        {
            var r = Propagate(graph, ordered.AsSpan(start, k), fieldCap);
            start += k;
            foreach (var n in graph.Nodes)
            {
                if (n.Kind != NodeKind.Conv) continue;
                long h = 0, w = 0;
                for (int j = 0; j < k; j++)
                {
                    exact += r[n.Id][j].Area * (double)n.MacsPerPosition;
                    h = Math.Max(h, r[n.Id][j].Height);
                    w = Math.Max(w, r[n.Id][j].Width);
                }
                planned += (double)k * h * w * n.MacsPerPosition;
            }
            full += (double)k * fullPer;
        }
        return (full, exact, planned);
    }

    /// <summary>The region each node recomputes, per perturbation: <c>[node][perturbation]</c>.</summary>
    public static Region[][] Propagate(ConvGraph graph, ReadOnlySpan<Region> inputRegions, double? fieldCap)
    {
        int k = inputRegions.Length;
        var result = new Region[graph.Nodes.Count][];
        foreach (var n in graph.Nodes)
        {
            var r = new Region[k];
            long[] size = n.Shape[1..];
            for (int j = 0; j < k; j++)
            {
                var region = n.Kind switch
                {
                    NodeKind.Input => Clip(inputRegions[j], size),
                    NodeKind.Pointwise => result[n.Inputs[0]][j],
                    NodeKind.Add => result[n.Inputs[0]][j].Union(result[n.Inputs[1]][j]),
                    _ => result[n.Inputs[0]][j].Through([n.Span(0), n.Span(1)], n.Stride, n.Padding, size),
                };
                if (fieldCap is { } c && n.Kind is not (NodeKind.Input or NodeKind.Pointwise)) region = region.Capped(c, size[0], size[1]);
                r[j] = region;
            }
            result[n.Id] = r;
        }
        return result;
    }

    private static Region Clip(Region r, long[] size) =>
        r.IsEmpty ? Region.Empty : new Region(Math.Max(0, r.Y0), Math.Min(size[0], r.Y1), Math.Max(0, r.X0), Math.Min(size[1], r.X1)) is var c && c.IsEmpty ? Region.Empty : c;

    private static int ChoosePerPass(ConvGraph graph, Region[] regions, double? cap, Tensor input, long budget) =>
        ChoosePerPass(graph, regions, cap, input.shape[0], input.element_size(), budget);

    /// <summary>Copies per pass that fit <paramref name="budget"/> bytes, at most <see cref="MaxAutomaticPerPass"/>.</summary>
    internal static int ChoosePerPass(ConvGraph graph, Region[] regions, double? cap, long batch, long elementSize, long budget)
    {
        // Bytes of one copy: the largest box of every node, counted four times (the box, the halo read around it and the
        // temporaries of gathering it).
        var r = Propagate(graph, regions, cap);
        long elements = 0;
        foreach (var n in graph.Nodes)
        {
            long h = 0, w = 0;
            foreach (var region in r[n.Id])
            {
                h = Math.Max(h, region.Height);
                w = Math.Max(w, region.Width);
            }
            elements += 4 * n.Shape[0] * h * w;
        }
        var last = graph.Nodes[graph.Output].Shape;
        elements += 4 * last[0] * last[1] * last[2];
        long bytes = Math.Max(1, elements * elementSize * batch) + (64 << 10);
        return (int)Math.Clamp(budget / bytes, 1, MaxAutomaticPerPass);
    }

    /// <summary>
    /// The order in which to evaluate <paramref name="regions"/> and the pass sizes (at most
    /// <paramref name="perPass"/> each): perturbations whose projective fields have similar heights and widths go
    /// into the same pass, so that the common box of a pass wastes little. Rows and columns are ranked by the
    /// convolution work of their fields' heights and widths and the ranked grid is cut into blocks of about
    /// √perPass × √perPass; a block is one pass (or several, if it holds more).
    /// </summary>
    public static (int[] Order, int[] Passes) Schedule(ConvGraph graph, Region[] regions, double? fieldCap, int perPass)
    {
        var r = Propagate(graph, regions, fieldCap);
        var convs = graph.Nodes.Where(n => n.Kind == NodeKind.Conv).ToArray();
        int count = regions.Length;
        var hs = new double[count];
        var ws = new double[count];
        for (int j = 0; j < count; j++)
            foreach (var n in convs)
            {
                hs[j] += r[n.Id][j].Height * (double)n.MacsPerPosition;
                ws[j] += r[n.Id][j].Width * (double)n.MacsPerPosition;
            }
        var hRank = DenseRank(hs);
        var wRank = DenseRank(ws);
        int a = Math.Max(1, (int)Math.Round(Math.Sqrt(perPass))), b = Math.Max(1, perPass / a);
        var order = Enumerable.Range(0, count)
            .OrderBy(j => hRank[j] / a).ThenBy(j => wRank[j] / b).ThenBy(j => hRank[j]).ThenBy(j => wRank[j]).ThenBy(j => j)
            .ToArray();
        var passes = new List<int>();
        int size = 0;
        for (int i = 0; i < count; i++)
        {
            bool newBlock = i > 0 && (hRank[order[i]] / a != hRank[order[i - 1]] / a || wRank[order[i]] / b != wRank[order[i - 1]] / b);
            if (size > 0 && (newBlock || size == perPass))
            {
                passes.Add(size);
                size = 0;
            }
            size++;
        }
        if (size > 0) passes.Add(size);
        return (order, [.. passes]);
    }

    private static int[] DenseRank(double[] values)
    {
        var distinct = values.Distinct().Order().ToArray();
        return [.. values.Select(v => Array.BinarySearch(distinct, v))];
    }
}
