using static TorchSharp.torch;

namespace FluentAttrib.Core;

/// <summary>
/// Tells a wrapped method that its inputs are an expanded batch: each of <see cref="OriginalBatch"/> examples repeated
/// <see cref="Factor"/> times in place (example-major, as NoiseTunnel and the metrics build it). While a level is
/// active, <see cref="Baselines"/> and <see cref="FeatureMask"/> expand their per-example tensors the way Captum's
/// <c>_expand_and_update_baselines</c> / <c>_expand_and_update_feature_mask</c> do, so a wrapped method needs no
/// change to run on the expanded batch. Levels nest (NoiseTunnel inside a metric) and compose in order.
/// </summary>
/// <remarks>
/// The state is ambient (an <see cref="AsyncLocal{T}"/>) because the wrapped method materializes its own baselines
/// and masks from its settings; the wrapper only knows the batch it built. Levels are pushed with
/// <see cref="Push"/> and removed when the returned scope is disposed.
/// </remarks>
internal sealed class ExampleExpansion
{
    private static readonly AsyncLocal<ExampleExpansion?> Current = new();

    private readonly ExampleExpansion? _outer;
    private readonly Generator? _generator;
    private readonly Dictionary<(int Index, long Rows), Tensor> _drawn = new();

    private ExampleExpansion(ExampleExpansion? outer, long originalBatch, int factor, bool drawBaselines, Generator? generator)
    {
        _outer = outer;
        OriginalBatch = originalBatch;
        Factor = factor;
        DrawBaselines = drawBaselines;
        _generator = generator;
    }

    /// <summary>Batch size before this level's expansion.</summary>
    public long OriginalBatch { get; }

    /// <summary>Copies of each example.</summary>
    public int Factor { get; }

    /// <summary>
    /// Whether tensor baselines are a distribution to draw from (one random row per expanded example, Captum's
    /// <c>draw_baseline_from_distrib</c>) rather than per-example values to repeat.
    /// </summary>
    public bool DrawBaselines { get; }

    /// <summary>Batch size after this level's expansion.</summary>
    public long ExpandedBatch => OriginalBatch * Factor;

    /// <summary>
    /// Activates a level until the returned scope is disposed. <paramref name="generator"/> (may be null: torch's
    /// default generator) is used to draw baselines.
    /// </summary>
    public static IDisposable Push(long originalBatch, int factor, bool drawBaselines = false, Generator? generator = null)
    {
        var level = new ExampleExpansion(Current.Value, originalBatch, factor, drawBaselines, generator);
        Current.Value = level;
        return new Scope(level);
    }

    /// <summary>
    /// A baseline tensor of input <paramref name="index"/> adapted to the expanded batch <paramref name="input"/>:
    /// a per-example baseline (first dimension = the batch before expansion, &gt; 1, same rank as the input) is
    /// repeated in place; with <see cref="DrawBaselines"/>, rows are drawn at random (the same draw for every call
    /// within the level). Unchanged when no level is active or <paramref name="input"/> is not the expanded batch.
    /// </summary>
    public static Tensor AdaptBaseline(Tensor baseline, int index, Tensor input)
    {
        var levels = ActiveFor(input);
        if (levels is null) return baseline;
        foreach (var level in levels)
        {
            if (baseline.dim() != input.dim()) break;
            if (level.DrawBaselines)
                baseline = baseline.index_select(0, level.Indices(index, baseline.shape[0], baseline.device));
            else if (baseline.shape[0] == level.OriginalBatch && baseline.shape[0] > 1)
                baseline = baseline.repeat_interleave(level.Factor, dim: 0);
        }
        return baseline;
    }

    /// <summary>The shape <see cref="AdaptBaseline"/> gives a baseline of shape <paramref name="shape"/> (no tensor is made).</summary>
    public static long[] AdaptedBaselineShape(long[] shape, Tensor input)
    {
        var levels = ActiveFor(input);
        if (levels is null) return shape;
        shape = (long[])shape.Clone();
        foreach (var level in levels)
        {
            if (shape.Length != input.dim()) break;
            if (level.DrawBaselines) shape[0] = level.ExpandedBatch;
            else if (shape[0] == level.OriginalBatch && shape[0] > 1) shape[0] *= level.Factor;
        }
        return shape;
    }

    /// <summary>
    /// A feature mask adapted to the expanded batch <paramref name="input"/>: a per-example mask (first dimension =
    /// the batch before expansion, &gt; 1, same rank as the input) is repeated in place.
    /// </summary>
    public static Tensor AdaptMask(Tensor mask, Tensor input)
    {
        var levels = ActiveFor(input);
        if (levels is null) return mask;
        foreach (var level in levels)
        {
            if (mask.dim() == input.dim() && mask.shape[0] == level.OriginalBatch && mask.shape[0] > 1)
                mask = mask.repeat_interleave(level.Factor, dim: 0);
        }
        return mask;
    }

    /// <summary>The active levels, outermost first, when <paramref name="input"/> is the innermost expanded batch.</summary>
    private static List<ExampleExpansion>? ActiveFor(Tensor input)
    {
        var inner = Current.Value;
        if (inner is null || input.dim() == 0 || input.shape[0] != inner.ExpandedBatch) return null;
        var levels = new List<ExampleExpansion>();
        for (var l = inner; l is not null; l = l._outer) levels.Add(l);
        levels.Reverse();
        return levels;
    }

    private Tensor Indices(int index, long rows, Device device)
    {
        if (!_drawn.TryGetValue((index, rows), out var idx))
        {
            idx = randint(rows, [ExpandedBatch], dtype: ScalarType.Int64, device: device, generator: _generator).DetachFromDisposeScope();
            _drawn[(index, rows)] = idx;
        }
        return idx.device == device ? idx : idx.to(device);
    }

    private sealed class Scope(ExampleExpansion level) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            Current.Value = level._outer;
            foreach (var t in level._drawn.Values) t.Dispose();
            level._drawn.Clear();
        }
    }
}
