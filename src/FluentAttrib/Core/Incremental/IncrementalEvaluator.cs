using FluentAttrib.Core.Perturbation;
using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Core.Incremental;

/// <summary>
/// Incremental evaluation of perturbed copies of a batch whose perturbations each change one rectangle of the
/// input (Krypton, Nakandala et al., SIGMOD 2019): the unperturbed batch is run once through the model's
/// <see cref="ConvGraph"/> keeping every activation; for each perturbation, every node recomputes only the region the
/// changed rectangle can influence (its projective field), reading the halo it needs from the cached activations of
/// its inputs, and the tail (global pooling, linear layers, unknown modules) runs on the full last activation with the
/// recomputed region pasted in. Perturbations are batched: in one pass all copies share, per node, the box size of
/// the largest region of the pass (boxes are moved inside the map at the edges). Exact up to floating-point
/// rounding unless a projective-field cap (approximate mode) is set.
/// </summary>
internal sealed partial class IncrementalEvaluator : IDisposable
{
    /// <summary>
    /// Most perturbed copies per pass when the memory budget chooses: on the 2-core CPU of the benchmark, 16, 32 and 64
    /// copies per pass ran resnet18 occlusion (45/9) at the same speed within the noise, with peak RSS 0.8, 1.1 and
    /// 1.8 GB.
    /// </summary>
    public const int MaxAutomaticPerPass = 16;

    /// <summary>The incremental path is used when it saves at least this factor of convolution multiply-adds.</summary>
    public const double MinimumGain = 1.25;

    private readonly ConvGraph _graph;
    private readonly Region[] _inputRegions;
    private readonly double? _cap;
    private readonly long _batch;
    private readonly Tensor[] _cached;
    private readonly Dictionary<int, Tensor> _padded = []; // consumer id → its input's cached activation, padded
    private readonly Dictionary<int, Tensor> _cachedNhwc = []; // node id → its cached activation as (B, H, W, C)
    private readonly Dictionary<int, Tensor> _paddedNhwc = []; // consumer id → padded input activation as (B, H, W, C)

    private IncrementalEvaluator(ConvGraph graph, Region[] inputRegions, double? cap, Tensor input, int perPass, int[] order, int[] passes)
    {
        _graph = graph;
        _inputRegions = inputRegions;
        _cap = cap;
        _batch = input.shape[0];
        PerPass = perPass;
        _order = order;
        _passes = passes;
        using var scope = NewDisposeScope();
        using (no_grad())
        {
            _cached = graph.Run(input);
            foreach (var n in graph.Nodes)
                if (n.Kind is NodeKind.Conv or NodeKind.MaxPool or NodeKind.AvgPool && (n.Padding[0] > 0 || n.Padding[1] > 0))
                    _padded[n.Id] = nn.functional.pad(_cached[n.Inputs[0]], [n.Padding[1], n.Padding[1], n.Padding[0], n.Padding[0]],
                        PaddingModes.Constant, ConvGraph.PadValue(n));
            UnperturbedOutput = graph.RunTail(_cached[graph.Output]);
            foreach (var n in graph.Nodes)
                _cachedNhwc[n.Id] = _cached[n.Id].permute(0, 2, 3, 1).contiguous();
            foreach (var (id, padded) in _padded)
                _paddedNhwc[id] = padded.permute(0, 2, 3, 1).contiguous();
            _padded.Clear();
        }
        // The cache lives until Dispose; the input (node 0) belongs to the caller.
        _owned = [.. _cached.Skip(1).Where(t => !ReferenceEquals(t, input)), .. _cachedNhwc.Values, .. _paddedNhwc.Values, UnperturbedOutput];
        foreach (var t in _owned.Distinct()) t.DetachFromDisposeScope();
        _owned = [.. _owned.Distinct()];
    }

    private readonly Tensor[] _owned;
    private readonly int[] _order; // perturbation numbers in evaluation order
    private readonly int[] _passes; // copies in each pass, in evaluation order

    /// <summary>Perturbed copies per pass.</summary>
    public int PerPass { get; }

    /// <summary>The model output of the unperturbed batch computed through the graph.</summary>
    public Tensor UnperturbedOutput { get; }

    /// <summary>
    /// An evaluator for <paramref name="regions"/> (the changed input rectangle of each perturbation, in the input's
    /// H × W coordinates) when the context's model is understood and the plan saves at least
    /// <see cref="MinimumGain"/>× of the convolution work; otherwise null (use plain evaluation). Checks the graph
    /// against the model on the unperturbed batch and returns null if they differ.
    /// </summary>
    public static IncrementalEvaluator? TryCreate(AttributionContext ctx, Region[] regions, double? fieldCap, int? requestedPerPass,
        double minimumGain = MinimumGain) => TryCreate(ctx, regions, fieldCap, requestedPerPass, out _, minimumGain);

    /// <summary>
    /// As <see cref="TryCreate(AttributionContext, Region[], double?, int?, double)"/>, with a note for the attribution's
    /// description: how much work the incremental path saves, or why it was not taken (<c>not incremental: …</c>).
    /// </summary>
    public static IncrementalEvaluator? TryCreate(AttributionContext ctx, Region[] regions, double? fieldCap, int? requestedPerPass,
        out string note, double minimumGain = MinimumGain)
    {
        const string prefix = "not incremental: ";
        if (ctx.Forward.Module is not nn.Module<Tensor, Tensor> model || ctx.Forward.Arity is not null)
        {
            note = prefix + "the model is not a single-tensor module (a function or a multi-input model)";
            return null;
        }
        if (ctx.Inputs.Length != 1 || ctx.AdditionalArgs.Length != 0)
        {
            note = prefix + "the model takes more than one input";
            return null;
        }
        var input = ctx.Inputs[0];
        if (input.dim() != 4 || !input.is_floating_point())
        {
            note = prefix + "the input is not a floating-point (B, C, H, W) batch";
            return null;
        }
        var graph = ConvGraph.Analyze(model, out var reason);
        if (graph is null)
        {
            note = prefix + reason;
            return null;
        }
        if (!graph.InferShapes(input.shape[1..]))
        {
            note = prefix + $"the analysed layers do not fit an input of shape ({string.Join(", ", input.shape)})";
            return null;
        }

        int perPass = requestedPerPass ?? ChoosePerPass(graph, regions, fieldCap, input, ctx.MemoryBudgetBytes ?? BatchPlanner.DefaultBudgetBytes());
        var (order, passes) = Schedule(graph, regions, fieldCap, perPass);
        var cost = Cost(graph, regions, fieldCap, order, passes);
        string until = graph.TailConvolution is null ? "" : $"; analysed up to {graph.TailConvolution}, which runs in full";
        if (cost.Full < minimumGain * cost.Planned)
        {
            note = prefix + $"it would save only {cost.Full / Math.Max(1, cost.Planned):F2}× of the convolution work (at least {minimumGain:G3}× is needed{until}); " +
                   "large perturbations or small inputs leave little to skip";
            return null;
        }

        var evaluator = new IncrementalEvaluator(graph, regions, fieldCap, input, perPass, order, passes);
        using var scope = NewDisposeScope();
        Tensor reference;
        using (no_grad()) reference = ctx.Forward.Invoke(ctx.Inputs, ctx.AdditionalArgs);
        var mine = evaluator.UnperturbedOutput;
        if (!reference.shape.SequenceEqual(mine.shape) || reference.dtype != mine.dtype
            || !reference.allclose(mine, rtol: 1e-3, atol: 1e-4 * Math.Max(1.0, reference.abs().max().to(ScalarType.Float64).item<double>())))
        {
            evaluator.Dispose();
            note = prefix + $"the model's output on the clean input differs from what its structure describes ({model.GetType().Name}: " +
                   "a hook or a forward that does more than its modules)";
            return null; // the model does not compute what its structure says (e.g. a hook changes an output)
        }
        note = $"incremental ({cost.Full / Math.Max(1, cost.Planned):F1}× fewer convolution multiply-adds{until})";
        return evaluator;
    }

    /// <summary>
    /// Evaluates every perturbation in this evaluator's order and passes and returns the selected outputs (total, B)
    /// in perturbation order, as <see cref="PerturbationEngine.Evaluate(AttributionContext, string, int, int, PerturbedBatch)"/>
    /// does. <paramref name="build"/> gives the perturbed inputs (k·B, C, H, W) of the perturbation numbers it is given.
    /// </summary>
    public Tensor Evaluate(AttributionContext ctx, string method, Func<Tensor, Tensor> build)
    {
        var device = ctx.Inputs[0].device;
        Tensor? results = null;
        int start = 0, done = 0;
        using var orderTensor = tensor(_order.Select(i => (long)i).ToArray(), device: device);
        foreach (int k in _passes)
        {
            ctx.ThrowIfCancelled();
            using (var scope = NewDisposeScope())
            {
                var numbers = orderTensor.narrow(0, start, k);
                Tensor selected;
                using (no_grad())
                {
                    var output = Forward(_order.AsSpan(start, k), build(numbers), _cap);
                    selected = TargetSelector.Select(output, ctx.Target.Expand(k, interleave: false));
                }
                if (selected.shape[0] != k * _batch)
                    throw new ArgumentException(
                        $"{ctx.Forward.Description} returned {selected.shape[0]} output rows for a batch of {k * _batch} " +
                        $"({k} perturbed copies of {_batch} examples): perturbation methods need one output row per example. " +
                        "For a model that aggregates its batch, set PerturbationsPerPass(1).", "model");
                if (!selected.is_floating_point()) selected = selected.to(ScalarType.Float32);
                results ??= empty([_order.Length, _batch], dtype: selected.dtype, device: selected.device).MoveToOuterDisposeScope();
                results.index_copy_(0, numbers.to(selected.device), selected.reshape(k, _batch));
            }
            start += k;
            ctx.Report(method, ++done, _passes.Length);
        }
        return results!;
    }

    private Tensor Forward(ReadOnlySpan<int> numbers, Tensor perturbed, double? cap)
    {
        var regions = new Region[numbers.Length];
        for (int j = 0; j < numbers.Length; j++) regions[j] = _inputRegions[numbers[j]];
        return Forward(regions, perturbed, cap);
    }

    /// <summary>
    /// Per example, the largest absolute difference between <paramref name="outputs"/> (total, B), computed with the
    /// projective-field cap, and the exact outputs of a sample of up to <see cref="PerPass"/> perturbations spread
    /// evenly over 1 … total − 1, evaluated again without the cap. Shape (B), float64.
    /// </summary>
    public Tensor SampledError(AttributionContext ctx, Tensor outputs, Func<Tensor, Tensor> build, int total)
    {
        int m = Math.Min(PerPass, total - 1);
        if (m < 1) return zeros(_batch, dtype: ScalarType.Float64);
        using var scope = NewDisposeScope();
        var sample = Enumerable.Range(0, m).Select(i => 1 + (int)((long)i * (total - 1) / m)).Distinct().ToArray();
        m = sample.Length;
        var regions = sample.Select(i => _inputRegions[i]).ToArray();
        Tensor exact;
        using (no_grad())
        {
            var perturbed = build(tensor(sample.Select(i => (long)i).ToArray(), device: ctx.Inputs[0].device));
            var output = Forward(regions, perturbed, null);
            exact = TargetSelector.Select(output, ctx.Target.Expand(m, interleave: false)).reshape(m, _batch);
        }
        var approximate = outputs.index_select(0, tensor(sample.Select(i => (long)i).ToArray(), device: outputs.device));
        return (exact.to(ScalarType.Float64) - approximate.to(ScalarType.Float64)).abs().amax([0]).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The model output of the perturbations whose changed input rectangles are <paramref name="inputRegions"/>:
    /// <paramref name="perturbed"/> holds their inputs (k·B, C, H, W), copy after copy; only the changed region of
    /// each copy is read.
    /// </summary>
    private Tensor Forward(ReadOnlySpan<Region> inputRegions, Tensor perturbed, double? cap)
    {
        int k = inputRegions.Length;
        var regions = Propagate(_graph, inputRegions, cap);
        var nodes = _graph.Nodes;
        var boxes = new Box?[nodes.Count];
        var patches = new Tensor?[nodes.Count];
        foreach (var n in nodes)
        {
            var box = Box.Of(regions[n.Id], n.Shape);
            if (box is null) continue;
            boxes[n.Id] = box;
            switch (n.Kind)
            {
                case NodeKind.Input:
                {
                    var copies = perturbed.view(k, _batch, n.Shape[0], n.Shape[1], n.Shape[2]).permute(0, 3, 4, 1, 2);
                    var index = arange(k, dtype: ScalarType.Int64, device: perturbed.device).view(k, 1, 1);
                    var patch = copies.index([index, Offsets(box.Y, 0, box.H, perturbed.device).view(k, box.H, 1),
                        Offsets(box.X, 0, box.W, perturbed.device).view(k, 1, box.W)]); // (k, h, w, B, C)
                    patches[n.Id] = patch.permute(0, 3, 4, 1, 2).reshape(k * _batch, n.Shape[0], box.H, box.W);
                    break;
                }
                case NodeKind.Pointwise:
                {
                    var source = nodes[n.Inputs[0]];
                    bool owned = source.Consumers == 1 && source.Kind != NodeKind.Input;
                    patches[n.Id] = _graph.ApplyPointwise(n, patches[source.Id]!, owned);
                    break;
                }
                case NodeKind.Add:
                    patches[n.Id] = Read(n.Inputs[0], null, box.H, box.W, box.Y, box.X, boxes, patches, k)
                                    + Read(n.Inputs[1], null, box.H, box.W, box.Y, box.X, boxes, patches, k);
                    break;
                default:
                {
                    long h = (box.H - 1) * n.Stride[0] + n.Span(0), w = (box.W - 1) * n.Stride[1] + n.Span(1);
                    var y = box.Y.Select(p => p * n.Stride[0] - n.Padding[0]).ToArray();
                    var x = box.X.Select(p => p * n.Stride[1] - n.Padding[1]).ToArray();
                    patches[n.Id] = ConvGraph.Windowed(n, Read(n.Inputs[0], n, h, w, y, x, boxes, patches, k));
                    break;
                }
            }
        }
        var output = nodes[_graph.Output];
        var full = Read(output.Id, null, output.Shape[1], output.Shape[2], new long[k], new long[k], boxes, patches, k);
        return _graph.RunTail(full);
    }

    /// <summary>
    /// For every copy j, the values of node <paramref name="node"/> in rows [y[j], y[j] + h) and columns
    /// [x[j], x[j] + w) (which may reach into <paramref name="consumer"/>'s padding), (k·B, C, h, w): the cached
    /// activation with the copy's recomputed box laid over it. Gathered for all copies at once (a few large operations
    /// rather than several per copy), channels innermost.
    /// </summary>
    private Tensor Read(int node, GraphNode? consumer, long h, long w, long[] y, long[] x, Box?[] boxes, Tensor?[] patches, int k)
    {
        var shape = _graph.Nodes[node].Shape;
        long c = shape[0];
        var box = boxes[node];
        var patch = patches[node];
        if (box is not null && box.H == h && box.W == w && box.Y.AsSpan().SequenceEqual(y) && box.X.AsSpan().SequenceEqual(x))
            return patch!; // exactly the recomputed box
        long pt = 0, pl = 0;
        if (consumer is not null && (consumer.Padding[0] > 0 || consumer.Padding[1] > 0))
        {
            pt = consumer.Padding[0];
            pl = consumer.Padding[1];
        }
        var device = _cached[node].device;
        var copies = arange(k, dtype: ScalarType.Int64, device: device).view(k, 1, 1);
        Tensor gathered; // (k, h, w, B, C)
        if (box is not null && box.H == shape[1] && box.W == shape[2])
        {
            // The box is the whole map: every copy's values are in its patch (padded for the consumer).
            var whole = patch!;
            if (pt > 0 || pl > 0)
                whole = nn.functional.pad(whole, [pl, pl, pt, pt], PaddingModes.Constant, ConvGraph.PadValue(consumer!));
            if (h == whole.shape[2] && w == whole.shape[3] && y.All(v => v == -pt) && x.All(v => v == -pl))
                return whole;
            var source = whole.view(k, _batch, c, whole.shape[2], whole.shape[3]).permute(0, 3, 4, 1, 2);
            gathered = source.index([copies, Offsets(y, pt, h, device).view(k, h, 1), Offsets(x, pl, w, device).view(k, 1, w)]);
        }
        else
        {
            var cached = pt > 0 || pl > 0 ? _paddedNhwc[consumer!.Id] : _cachedNhwc[node]; // (B, H, W, C)
            gathered = cached.permute(1, 2, 0, 3).index([Offsets(y, pt, h, device).view(k, h, 1), Offsets(x, pl, w, device).view(k, 1, w)]);
            if (box is not null)
            {
                // Lay each changed copy's box over it.
                var rows = new long[k * h];
                var cols = new long[k * w];
                var inRows = new bool[k * h];
                var inCols = new bool[k * w];
                for (int j = 0; j < k; j++)
                {
                    for (long i = 0; i < h; i++)
                    {
                        long r = y[j] + i - box.Y[j];
                        inRows[j * h + i] = box.Changed[j] && r >= 0 && r < box.H;
                        rows[j * h + i] = Math.Clamp(r, 0, box.H - 1);
                    }
                    for (long i = 0; i < w; i++)
                    {
                        long r = x[j] + i - box.X[j];
                        inCols[j * w + i] = box.Changed[j] && r >= 0 && r < box.W;
                        cols[j * w + i] = Math.Clamp(r, 0, box.W - 1);
                    }
                }
                var source = patch!.view(k, _batch, c, box.H, box.W).permute(0, 3, 4, 1, 2);
                var laid = source.index([copies, tensor(rows, device: device).view(k, h, 1), tensor(cols, device: device).view(k, 1, w)]);
                var inside = tensor(inRows, device: device).view(k, h, 1).logical_and(tensor(inCols, device: device).view(k, 1, w));
                gathered = where(inside.view(k, h, w, 1, 1), laid, gathered);
            }
        }
        return gathered.permute(0, 3, 4, 1, 2).reshape(k * _batch, c, h, w);
    }

    /// <summary>Row (or column) indices start[j] + pad + i, i &lt; length, for every copy j: (k·length).</summary>
    private static Tensor Offsets(long[] start, long pad, long length, Device device)
    {
        var values = new long[start.Length * length];
        for (int j = 0; j < start.Length; j++)
            for (long i = 0; i < length; i++)
                values[j * length + i] = start[j] + pad + i;
        return tensor(values, device: device);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in _owned) t.Dispose();
    }

    /// <summary>
    /// The box a node recomputes in one pass: the same size (the largest region of the pass) for every copy, placed
    /// over the copy's region and moved inside the map at the edges.
    /// </summary>
    private sealed class Box
    {
        public required long H { get; init; }
        public required long W { get; init; }
        public required long[] Y { get; init; }
        public required long[] X { get; init; }
        public required bool[] Changed { get; init; }

        public static Box? Of(Region[] regions, long[] shape)
        {
            long h = 0, w = 0;
            foreach (var r in regions)
            {
                h = Math.Max(h, r.Height);
                w = Math.Max(w, r.Width);
            }
            if (h == 0 || w == 0) return null;
            int k = regions.Length;
            var y = new long[k];
            var x = new long[k];
            var changed = new bool[k];
            for (int j = 0; j < k; j++)
            {
                if (regions[j].IsEmpty) continue;
                changed[j] = true;
                y[j] = Math.Clamp(regions[j].Y0, 0, shape[1] - h);
                x[j] = Math.Clamp(regions[j].X0, 0, shape[2] - w);
            }
            return new Box { H = h, W = w, Y = y, X = x, Changed = changed };
        }
    }
}
