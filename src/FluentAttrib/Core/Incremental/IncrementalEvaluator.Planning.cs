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
    public static (double Full, double Exact, double Planned) Cost(ConvGraph graph, Region[] regions, int perPass)
    {
        var (order, passes) = Schedule(graph, regions, perPass);
        return Cost(graph, regions, order, passes);
    }

    /// <summary>As <see cref="Cost(ConvGraph, Region[], int)"/> for a given evaluation order and pass sizes.</summary>
    public static (double Full, double Exact, double Planned) Cost(ConvGraph graph, Region[] regions, int[] order, int[] passes)
    {
        double full = 0, exact = 0, planned = 0;
        long fullPer = graph.Nodes.Where(n => n.Kind == NodeKind.Conv).Sum(n => n.Shape[1] * n.Shape[2] * n.MacsPerPosition);
        var ordered = order.Select(i => regions[i]).ToArray();
        int start = 0;
        foreach (int k in passes)
        {
            var r = Propagate(graph, ordered.AsSpan(start, k));
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
    public static Region[][] Propagate(ConvGraph graph, ReadOnlySpan<Region> inputRegions)
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
                r[j] = region;
            }
            result[n.Id] = r;
        }
        return result;
    }

    private static Region Clip(Region r, long[] size) =>
        r.IsEmpty ? Region.Empty : new Region(Math.Max(0, r.Y0), Math.Min(size[0], r.Y1), Math.Max(0, r.X0), Math.Min(size[1], r.X1)) is var c && c.IsEmpty ? Region.Empty : c;

    private static int ChoosePerPass(ConvGraph graph, Region[] regions, Tensor input, long budget) =>
        ChoosePerPass(graph, regions, input.shape[0], input.element_size(), budget);

    /// <summary>Copies per pass that fit <paramref name="budget"/> bytes, at most <see cref="MaxAutomaticPerPass"/>.</summary>
    internal static int ChoosePerPass(ConvGraph graph, Region[] regions, long batch, long elementSize, long budget)
    {
        long bytes = Math.Max(1, PeakElementsPerCopy(graph, regions) * elementSize * batch) + (64 << 10);
        return (int)Math.Clamp(budget / bytes, 1, MaxAutomaticPerPass);
    }

    /// <summary>
    /// Elements one copy holds at the fullest point of a pass, with every node's largest box over
    /// <paramref name="regions"/>: the patches still awaited by a later node, plus the node being computed (its patch and
    /// the input window it gathers, counted twice for the temporaries of gathering), and at the end the full last map the
    /// tail reads (twice: gathered and laid over).
    /// </summary>
    internal static long PeakElementsPerCopy(ConvGraph graph, Region[] regions)
    {
        var r = Propagate(graph, regions);
        var nodes = graph.Nodes;
        var size = new long[nodes.Count];
        var hs = new long[nodes.Count];
        var ws = new long[nodes.Count];
        var remaining = new int[nodes.Count];
        foreach (var n in nodes)
        {
            long h = 0, w = 0;
            foreach (var region in r[n.Id])
            {
                h = Math.Max(h, region.Height);
                w = Math.Max(w, region.Width);
            }
            (hs[n.Id], ws[n.Id]) = (h, w);
            size[n.Id] = n.Shape[0] * h * w;
            if (size[n.Id] > 0)
                foreach (int i in n.Inputs) remaining[i]++;
        }
        remaining[graph.Output]++;
        long live = 0, peak = 0;
        foreach (var n in nodes)
        {
            if (size[n.Id] == 0) continue;
            long read = n.Kind switch
            {
                NodeKind.Input or NodeKind.Pointwise => 0,
                NodeKind.Add => 2 * size[n.Id],
                _ => nodes[n.Inputs[0]].Shape[0] * ((hs[n.Id] - 1) * n.Stride[0] + n.Span(0)) * ((ws[n.Id] - 1) * n.Stride[1] + n.Span(1)),
            };
            peak = Math.Max(peak, live + 2 * read + size[n.Id]);
            live += size[n.Id];
            foreach (int i in n.Inputs)
                if (--remaining[i] == 0) live -= size[i];
        }
        var last = nodes[graph.Output].Shape;
        return Math.Max(peak, live + 2 * last[0] * last[1] * last[2]);
    }

    /// <summary>
    /// The order in which to evaluate <paramref name="regions"/> and the pass sizes (at most
    /// <paramref name="perPass"/> each): perturbations whose projective fields have similar heights and widths go
    /// into the same pass, so that the common box of a pass wastes little. Rows and columns are ranked by the
    /// convolution work of their fields' heights and widths and the ranked grid is cut into blocks of about
    /// √perPass × √perPass; a block is one pass (or several, if it holds more).
    /// </summary>
    public static (int[] Order, int[] Passes) Schedule(ConvGraph graph, Region[] regions, int perPass)
    {
        var r = Propagate(graph, regions);
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
