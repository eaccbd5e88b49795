using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FluentAttrib.Core.Metrics;

/// <summary>
/// The model as the evaluation metrics see it (Quantus's model wrapper): outputs in the model's dtype, with the
/// metric's softmax switch, evaluated in passes planned from the memory budget, with progress and cancellation.
/// </summary>
internal sealed class MetricScorer
{
    private readonly AttributionContext _ctx;
    private readonly bool _softmax;
    private readonly bool _endsInSoftmax;
    private readonly Sequential? _sequential;
    private readonly string _metric;

    public MetricScorer(AttributionContext ctx, bool softmax, string metric, int? examplesPerPass = null)
    {
        _ctx = ctx;
        _softmax = softmax;
        _metric = metric;
        if (ctx.Forward.Module is Sequential seq)
        {
            var children = seq.children().ToArray();
            if (children.Length > 0 && children[^1] is TorchSharp.Modules.Softmax)
            {
                _endsInSoftmax = true;
                _sequential = seq;
            }
        }
        PerPass = examplesPerPass ?? BatchPlanner.ExamplesPerPass(ctx, ctx.Inputs, withGradients: false);
    }

    /// <summary>Examples per forward pass.</summary>
    public int PerPass { get; }

    public AttributionContext Context => _ctx;

    /// <summary>
    /// The wrapped model's output for <paramref name="x"/>, whose row r is a (perturbed) copy of example
    /// <paramref name="owners"/>[r]; additional arguments with one row per example follow their example. No gradient.
    /// </summary>
    public Tensor Outputs(Tensor x, long[] owners)
    {
        using var _ = no_grad();
        if (!_softmax && _endsInSoftmax && _ctx.AdditionalArgs.Length == 0)
        {
            var children = _sequential!.children().ToArray();
            var h = x;
            for (int i = 0; i < children.Length - 1; i++) h = ((nn.Module<Tensor, Tensor>)children[i]).call(h);
            return h;
        }
        var additional = _ctx.AdditionalArgs;
        if (additional.Length > 0)
        {
            using var index = tensor(owners, device: x.device);
            additional = additional.Select(a => a.dim() > 0 && a.shape[0] == _ctx.BatchSize ? a.index_select(0, index.to(a.device)) : a).ToArray();
        }
        var output = _ctx.Forward.Invoke([x], additional);
        if (_softmax && !_endsInSoftmax) output = nn.functional.softmax(output, -1);
        return output;
    }

    /// <summary>The targets of rows that are copies of the examples <paramref name="owners"/>.</summary>
    public Target TargetFor(long[] owners)
    {
        var t = _ctx.Target;
        if (t.PerExampleIndices is not { } list) return t;
        return Target.PerExampleElements(owners.Select(o => list[(int)o].ToArray()).ToArray());
    }

    /// <summary>The selected scores (B) of <paramref name="x"/> (a batch of the context's size, example order).</summary>
    public double[] Scores(Tensor x)
    {
        using var scope = NewDisposeScope();
        var owners = Enumerable.Range(0, (int)x.shape[0]).Select(i => (long)i).ToArray();
        return ToArray(TargetSelector.Select(Outputs(x, owners), TargetFor(owners)));
    }

    /// <summary>
    /// Scores <paramref name="rows"/> perturbed rows; <paramref name="build"/>(start, count) returns rows
    /// [start, start + count) as one tensor and <paramref name="owners"/>[r] is the example row r belongs to.
    /// </summary>
    public double[] Scores(int rows, long[] owners, Func<int, int, Tensor> build)
    {
        var result = new double[rows];
        int passes = (rows + PerPass - 1) / PerPass, pass = 0;
        for (int start = 0; start < rows; start += PerPass)
        {
            _ctx.ThrowIfCancelled();
            using var scope = NewDisposeScope();
            int count = Math.Min(PerPass, rows - start);
            var x = build(start, count);
            var selected = TargetSelector.Select(Outputs(x, owners[start..(start + count)]), TargetFor(owners[start..(start + count)]));
            ToArray(selected).CopyTo(result, start);
            _ctx.Report(_metric, ++pass, passes);
        }
        return result;
    }

    /// <summary>The predicted class (argmax over the last axis) of each of <paramref name="rows"/> rows.</summary>
    public long[] Predictions(int rows, long[] owners, Func<int, int, Tensor> build)
    {
        var result = new long[rows];
        int passes = (rows + PerPass - 1) / PerPass, pass = 0;
        for (int start = 0; start < rows; start += PerPass)
        {
            _ctx.ThrowIfCancelled();
            using var scope = NewDisposeScope();
            int count = Math.Min(PerPass, rows - start);
            var output = Outputs(build(start, count), owners[start..(start + count)]);
            output.reshape(count, -1).argmax(1).cpu().data<long>().ToArray().CopyTo(result, start);
            _ctx.Report(_metric, ++pass, passes);
        }
        return result;
    }

    public static double[] ToArray(Tensor t) => t.detach().to(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
}
