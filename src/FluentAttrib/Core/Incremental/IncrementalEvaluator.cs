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
/// rounding.
/// </summary>
internal sealed partial class IncrementalEvaluator : IDisposable
{
    /// <summary>
    /// Most perturbed copies per pass when the memory budget chooses: on the 2-core CPU of the benchmark, 16, 32 and 64
    /// copies per pass ran resnet18 occlusion (45/9) at the same speed within the noise, with peak RSS 0.8, 1.1 and
    /// 1.8 GB.
    /// </summary>
    public const int MaxAutomaticPerPass = 16;

    /// <summary>
    /// The incremental path is used when it saves at least this factor of convolution multiply-adds. Below it, gathering
    /// the boxes costs more than the skipped work: Occlusion 45/9 on 112×112 images (a planned saving of 1.3×) ran 1.6×
    /// (TorchSharp's resnet18) and 3.5× (mobilenet_v2) slower than plain batched evaluation and at 1.7× (resnet18,
    /// 160×160) 1.8× slower, all on a heavily loaded 2-core machine; at 1.9× (mobilenet_v2, 224×224) and 2.2× (resnet18,
    /// 224×224) it ran 2.6× and 1.75× faster on an idle one (1.1× for resnet18 on the loaded one). See docs/performance.md.
    /// </summary>
    public const double MinimumGain = 1.75;

    private readonly ConvGraph _graph;
    private readonly Region[] _inputRegions;
    private readonly long _batch;

    /// <summary>
    /// The clean activations a pass reads, per node: only nodes that a window operation, a residual addition or the
    /// tail reads (never the inputs of pointwise operations, which only see recomputed patches), each kept once per pad
    /// value as (B, C, H + 2·PadH, W + 2·PadW), padded as far as its widest padded reader needs; unpadded readers use
    /// any of them.
    /// </summary>
    private readonly List<Cached>?[] _cache;

    private sealed record Cached(Tensor Values, long PadH, long PadW, double PadValue);

    private IncrementalEvaluator(ConvGraph graph, Region[] inputRegions, Tensor input, int perPass, int[] order, int[] passes)
    {
        _graph = graph;
        _inputRegions = inputRegions;
        _batch = input.shape[0];
        PerPass = perPass;
        _order = order;
        _passes = passes;
        var nodes = graph.Nodes;
        _cache = new List<Cached>?[nodes.Count];
        var owned = new List<Tensor>();
        var reads = Reads(graph);
        try
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            // One node at a time: each activation is kept only until its last reader has run, and only the copies that
            // passes read survive the clean pass.
            var values = new Tensor?[nodes.Count];
            var remaining = nodes.Select(n => n.Consumers).ToArray();
            foreach (var n in nodes)
            {
                var v = n.Kind switch
                {
                    NodeKind.Input => input,
                    NodeKind.Add => values[n.Inputs[0]]! + values[n.Inputs[1]]!,
                    NodeKind.Pointwise => graph.ApplyPointwise(n, values[n.Inputs[0]]!, owned: false),
                    _ => ConvGraph.Windowed(n, ConvGraph.Pad(n, values[n.Inputs[0]]!)),
                };
                if (n.Inputs.Any(i => ReferenceEquals(values[i], v))) v = v.alias(); // an identity: its own handle
                values[n.Id] = v;
                if (reads[n.Id] is { Count: > 0 } needs)
                {
                    var list = new List<Cached>();
                    foreach (var (padH, padW, value) in needs)
                    {
                        // Always a copy: the tail (or a module after the graph) may modify the node's own tensor in place.
                        var stored = padH == 0 && padW == 0 ? v.clone() : nn.functional.pad(v, [padW, padW, padH, padH], PaddingModes.Constant, value);
                        stored.DetachFromDisposeScope();
                        owned.Add(stored);
                        list.Add(new Cached(stored, padH, padW, value));
                    }
                    _cache[n.Id] = list;
                }
                foreach (int i in n.Inputs)
                    if (--remaining[i] == 0 && i != 0) values[i]!.Dispose();
            }
            UnperturbedOutput = graph.RunTail(values[graph.Output]!);
            if (ReferenceEquals(UnperturbedOutput, input)) UnperturbedOutput = UnperturbedOutput.alias();
            UnperturbedOutput.DetachFromDisposeScope();
            owned.Add(UnperturbedOutput);
        }
        catch
        {
            foreach (var t in owned) t.Dispose();
            throw;
        }
        // The cache lives until Dispose; the input belongs to the caller.
        _owned = [.. owned];
    }

    /// <summary>
    /// What each node's clean activation is read with in a pass: (pad rows, pad columns, pad value) per pad value, the
    /// largest padding of that value its readers use; (0, 0, 0) when only unpadded readers (residual additions,
    /// unpadded windows, the tail) read it; null when no pass reads it.
    /// </summary>
    private static List<(long PadH, long PadW, double Value)>?[] Reads(ConvGraph graph)
    {
        var nodes = graph.Nodes;
        var padded = new Dictionary<double, (long, long)>?[nodes.Count];
        var unpadded = new bool[nodes.Count];
        foreach (var n in nodes)
        {
            switch (n.Kind)
            {
                case NodeKind.Input or NodeKind.Pointwise:
                    break;
                case NodeKind.Add:
                    foreach (int i in n.Inputs) unpadded[i] = true;
                    break;
                default:
                    int source = n.Inputs[0];
                    if (n.Padding[0] == 0 && n.Padding[1] == 0)
                    {
                        unpadded[source] = true;
                        break;
                    }
                    var byValue = padded[source] ??= [];
                    double value = ConvGraph.PadValue(n);
                    var (h, w) = byValue.GetValueOrDefault(value);
                    byValue[value] = (Math.Max(h, n.Padding[0]), Math.Max(w, n.Padding[1]));
                    break;
            }
        }
        unpadded[graph.Output] = true;
        var result = new List<(long, long, double)>?[nodes.Count];
        for (int i = 0; i < nodes.Count; i++)
        {
            if (padded[i] is { } p) result[i] = [.. p.Select(e => (e.Value.Item1, e.Value.Item2, e.Key))];
            else if (unpadded[i]) result[i] = [(0L, 0L, 0.0)];
        }
        return result;
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
    public static IncrementalEvaluator? TryCreate(AttributionContext ctx, Region[] regions, int? requestedPerPass,
        double minimumGain = MinimumGain) => TryCreate(ctx, regions, requestedPerPass, out _, minimumGain);

    /// <summary>
    /// As <see cref="TryCreate(AttributionContext, Region[], int?, double)"/>, with a note for the attribution's
    /// description: how much work the incremental path saves, or why it was not taken (<c>not incremental: …</c>).
    /// </summary>
    public static IncrementalEvaluator? TryCreate(AttributionContext ctx, Region[] regions, int? requestedPerPass,
        out string note, double minimumGain = MinimumGain)
    {
        const string prefix = "not incremental: ";
        if (ctx.Forward.Module is null)
        {
            note = prefix + (ctx.Forward.Differentiable
                ? "the model is a function, not a TorchSharp module whose layers can be analysed"
                : "the model is a black box (e.g. an ONNX Runtime session), whose layers cannot be analysed; every copy runs in full");
            return null;
        }
        if (ctx.Forward.Module is not nn.Module<Tensor, Tensor> model || ctx.Forward.Arity is not null)
        {
            note = prefix + "the model is not a single-tensor module (it takes several tensors)";
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

        int perPass = requestedPerPass ?? ChoosePerPass(graph, regions, input, ctx.MemoryBudgetBytes ?? BatchPlanner.DefaultBudgetBytes());
        var (order, passes) = Schedule(graph, regions, perPass);
        var cost = Cost(graph, regions, order, passes);
        string until = graph.TailConvolution is null ? "" : $"; analysed up to {graph.TailConvolution}, which runs in full";
        if (cost.Full < minimumGain * cost.Planned)
        {
            note = prefix + $"it would save only {cost.Full / Math.Max(1, cost.Planned):F2}× of the convolution work (at least {minimumGain:G3}× is needed{until}); " +
                   "large perturbations or small inputs leave little to skip";
            return null;
        }

        var evaluator = new IncrementalEvaluator(graph, regions, input, perPass, order, passes);
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
    /// in perturbation order, as <see cref="PerturbationEngine.Evaluate(AttributionContext, string, int, PerturbationEngine.PassSize, PerturbedBatch)"/>
    /// does. <paramref name="build"/> gives the perturbed inputs (k·B, C, H, W) of the perturbation numbers it is given,
    /// on the host and on the input's device (so that building a pass needs no copy either way).
    /// </summary>
    public Tensor Evaluate(AttributionContext ctx, string method, Func<long[], Tensor, Tensor> build)
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
                    var output = Forward(_order.AsSpan(start, k), build(_order[start..(start + k)].Select(i => (long)i).ToArray(), numbers));
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

    private Tensor Forward(ReadOnlySpan<int> numbers, Tensor perturbed)
    {
        var regions = new Region[numbers.Length];
        for (int j = 0; j < numbers.Length; j++) regions[j] = _inputRegions[numbers[j]];
        return Forward(regions, perturbed);
    }

    /// <summary>
    /// The model output of the perturbations whose changed input rectangles are <paramref name="inputRegions"/>:
    /// <paramref name="perturbed"/> holds their inputs (k·B, C, H, W), copy after copy; only the changed region of
    /// each copy is read.
    /// </summary>
    private Tensor Forward(ReadOnlySpan<Region> inputRegions, Tensor perturbed)
    {
        int k = inputRegions.Length;
        var regions = Propagate(_graph, inputRegions);
        var nodes = _graph.Nodes;
        var boxes = new Box?[nodes.Count];
        foreach (var n in nodes) boxes[n.Id] = Box.Of(regions[n.Id], n.Shape);
        // A patch is freed as soon as the last node of this pass that reads it has run, so that a pass holds only the
        // patches still awaited (a residual branch's input, the current layer) rather than every layer's.
        var remaining = new int[nodes.Count];
        foreach (var n in nodes)
            if (boxes[n.Id] is not null)
                foreach (int i in n.Inputs) remaining[i]++;
        remaining[_graph.Output]++;
        var patches = new Tensor?[nodes.Count];
        foreach (var n in nodes)
        {
            var box = boxes[n.Id];
            if (box is null) continue;
            using (var nodeScope = NewDisposeScope())
            {
                Tensor patch;
                switch (n.Kind)
                {
                    case NodeKind.Input:
                        patch = Crops(perturbed, perCopy: true, 0, 0, box.H, box.W, box.Y, box.X, k);
                        break;
                    case NodeKind.Pointwise:
                    {
                        var source = nodes[n.Inputs[0]];
                        bool owned = remaining[source.Id] == 1 && source.Kind != NodeKind.Input;
                        patch = _graph.ApplyPointwise(n, patches[source.Id]!, owned);
                        break;
                    }
                    case NodeKind.Add:
                    {
                        // One operand is usually a fresh crop of its input's cache: the sum goes into it.
                        var a = Read(n.Inputs[0], null, box.H, box.W, box.Y, box.X, boxes, patches, k, out bool freshA);
                        var b = Read(n.Inputs[1], null, box.H, box.W, box.Y, box.X, boxes, patches, k, out bool freshB);
                        patch = freshA ? a.add_(b) : freshB ? b.add_(a) : a + b;
                        break;
                    }
                    default:
                    {
                        long h = (box.H - 1) * n.Stride[0] + n.Span(0), w = (box.W - 1) * n.Stride[1] + n.Span(1);
                        var y = box.Y.Select(p => p * n.Stride[0] - n.Padding[0]).ToArray();
                        var x = box.X.Select(p => p * n.Stride[1] - n.Padding[1]).ToArray();
                        patch = ConvGraph.Windowed(n, Read(n.Inputs[0], n, h, w, y, x, boxes, patches, k, out _));
                        break;
                    }
                }
                // The patch outlives this node's temporaries. One that is an input's own tensor (an in-place or identity
                // operation) is handed on when nothing else reads that input, else gets a handle of its own.
                int from = Array.FindIndex(n.Inputs, i => ReferenceEquals(patches[i], patch));
                if (from >= 0 && remaining[n.Inputs[from]] == 1) patches[n.Inputs[from]] = null;
                else
                {
                    if (from >= 0) patch = patch.alias();
                    patch.MoveToOuterDisposeScope();
                }
                patches[n.Id] = patch;
            }
            foreach (int i in n.Inputs)
                if (--remaining[i] == 0)
                {
                    patches[i]?.Dispose();
                    patches[i] = null;
                }
        }
        var output = nodes[_graph.Output];
        var full = Read(output.Id, null, output.Shape[1], output.Shape[2], new long[k], new long[k], boxes, patches, k, out _);
        return _graph.RunTail(full);
    }

    /// <summary>
    /// For every copy j, the values of node <paramref name="node"/> in rows [y[j], y[j] + h) and columns
    /// [x[j], x[j] + w) (which may reach into <paramref name="consumer"/>'s padding), (k·B, C, h, w): the cached
    /// activation with the copy's recomputed box laid over it. Every placement is known on the host, so each copy is a
    /// view at its offsets and the result is one concatenation of them plus one strided copy per changed box: no index
    /// tensors, nothing to wait for on the device. <paramref name="fresh"/> tells whether the result is a new tensor
    /// of this call (which the caller may overwrite) rather than a patch of the pass.
    /// </summary>
    private Tensor Read(int node, GraphNode? consumer, long h, long w, long[] y, long[] x, Box?[] boxes, Tensor?[] patches, int k, out bool fresh)
    {
        var shape = _graph.Nodes[node].Shape;
        long c = shape[0];
        var box = boxes[node];
        var patch = patches[node];
        fresh = false;
        if (box is not null && box.H == h && box.W == w && box.Y.AsSpan().SequenceEqual(y) && box.X.AsSpan().SequenceEqual(x))
            return patch!; // exactly the recomputed box
        long pt = 0, pl = 0;
        if (consumer is not null && (consumer.Padding[0] > 0 || consumer.Padding[1] > 0))
        {
            pt = consumer.Padding[0];
            pl = consumer.Padding[1];
        }
        fresh = true;
        if (box is not null && box.H == shape[1] && box.W == shape[2])
        {
            // The box is the whole map: every copy's values are in its patch (padded for the consumer).
            var whole = patch!;
            if (pt > 0 || pl > 0)
                whole = nn.functional.pad(whole, [pl, pl, pt, pt], PaddingModes.Constant, ConvGraph.PadValue(consumer!));
            else fresh = false;
            if (h == whole.shape[2] && w == whole.shape[3] && y.All(v => v == -pt) && x.All(v => v == -pl))
                return whole;
            fresh = true;
            return Crops(whole, perCopy: true, pt, pl, h, w, y, x, k);
        }
        var entries = _cache[node]!;
        var entry = pt > 0 || pl > 0 ? entries.First(e => e.PadValue.Equals(ConvGraph.PadValue(consumer!))) : entries[0];
        var result = Crops(entry.Values, perCopy: false, entry.PadH, entry.PadW, h, w, y, x, k);
        if (box is not null)
        {
            // Lay each changed copy's box over it: position i of copy j reads row y[j] + i − box.Y[j] of its patch.
            var source = patch!.view(k, _batch, c, box.H, box.W);
            var target = result.view(k, _batch, c, h, w);
            for (int j = 0; j < k; j++)
            {
                if (!box.Changed[j]) continue;
                long r0 = Math.Max(0, box.Y[j] - y[j]), r1 = Math.Min(h, box.Y[j] + box.H - y[j]);
                long c0 = Math.Max(0, box.X[j] - x[j]), c1 = Math.Min(w, box.X[j] + box.W - x[j]);
                if (r0 >= r1 || c0 >= c1) continue;
                target[j].narrow(2, r0, r1 - r0).narrow(3, c0, c1 - c0)
                    .copy_(source[j].narrow(2, y[j] + r0 - box.Y[j], r1 - r0).narrow(3, x[j] + c0 - box.X[j], c1 - c0));
            }
        }
        return result;
    }

    /// <summary>
    /// Rows [y[j] + padTop, + h) and columns [x[j] + padLeft, + w) of <paramref name="source"/> (B, C, H, W) for every
    /// copy j — of the copy's own B rows when <paramref name="perCopy"/> (source (k·B, C, H, W)), else of all of it —
    /// concatenated into a new (k·B, C, h, w) tensor.
    /// </summary>
    private Tensor Crops(Tensor source, bool perCopy, long padTop, long padLeft, long h, long w, long[] y, long[] x, int k)
    {
        var views = new Tensor[k];
        for (int j = 0; j < k; j++)
        {
            var rows = perCopy ? source.narrow(0, j * _batch, _batch) : source;
            views[j] = rows.narrow(2, y[j] + padTop, h).narrow(3, x[j] + padLeft, w);
        }
        // The result is written into (boxes laid over it, sums added in place): a cat of one view would share its storage.
        return k == 1 ? views[0].clone().contiguous() : cat(views, 0);
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
