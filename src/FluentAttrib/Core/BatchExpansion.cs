using static TorchSharp.torch;

namespace FluentAttrib.Core;

/// <summary>
/// One expansion of a batch as NoiseTunnel and SensitivityMax build it: each of <see cref="OriginalBatch"/> examples
/// repeated <see cref="Factor"/> times in place (example-major). <see cref="For"/> gives the wrapped method a copy of
/// itself whose per-example baselines and feature masks follow the expansion, the way Captum's
/// <c>_expand_and_update_baselines</c> and <c>_expand_and_update_feature_mask</c> rewrite the wrapped method's
/// arguments; the caller hands the expanded inputs, targets and additional arguments over in the context. Nothing is
/// ambient: a wrapper inside another (NoiseTunnel inside SensitivityMax) is rewritten by the outer one first, then
/// rewrites its own wrapped method, so expansions compose in order.
/// </summary>
/// <param name="originalBatch">Batch size before the expansion.</param>
/// <param name="factor">Copies of each example.</param>
/// <param name="drawBaselines">
/// Whether tensor baselines are a distribution to draw from (one random row per expanded example, Captum's
/// <c>draw_baseline_from_distrib</c>) rather than per-example values to repeat.
/// </param>
/// <param name="generator">The generator rows are drawn from (null: torch's default generator).</param>
internal sealed class BatchExpansion(long originalBatch, int factor, bool drawBaselines = false, Generator? generator = null)
{
    /// <summary>Batch size before the expansion.</summary>
    public long OriginalBatch { get; } = originalBatch;

    /// <summary>Copies of each example.</summary>
    public int Factor { get; } = factor;

    /// <summary>Whether tensor baselines are a distribution to draw rows from.</summary>
    public bool DrawBaselines { get; } = drawBaselines;

    /// <summary>Batch size after the expansion.</summary>
    public long ExpandedBatch => OriginalBatch * Factor;

    /// <summary>
    /// <paramref name="method"/> for the expanded inputs <paramref name="inputs"/>: its baselines and feature mask
    /// adapted (<see cref="AdaptBaseline"/>, <see cref="AdaptMask"/>); a noise tunnel passes the expansion on to the
    /// method it wraps. The method itself when nothing needs adapting. Tensors made here belong to the caller's
    /// dispose scope, so use the copy within it.
    /// </summary>
    public AttributionMethod For(AttributionMethod method, IReadOnlyList<Tensor> inputs)
    {
        if (method is NoiseTunnel tunnel)
        {
            var inner = For(tunnel.Inner, inputs);
            return ReferenceEquals(inner, tunnel.Inner) ? tunnel : tunnel.WithInner(inner);
        }
        var values = method.Values;
        var baseline = values.Baseline.Map(inputs.Count, (b, i) => AdaptBaseline(b, inputs[i]));
        var mask = values.Mask?.Map(inputs.Count, (m, i) => AdaptMask(m, inputs[i]));
        if (ReferenceEquals(baseline, values.Baseline) && ReferenceEquals(mask, values.Mask)) return method;
        return (AttributionMethod)method.WithValues(values with { Baseline = baseline, Mask = mask });
    }

    /// <summary>
    /// A baseline tensor adapted to the expanded input <paramref name="input"/>: with <see cref="DrawBaselines"/>, one
    /// row drawn at random per expanded example; otherwise a per-example baseline (first dimension = the batch
    /// before the expansion, &gt; 1) repeated in place. Unchanged when its rank differs from the input's.
    /// </summary>
    public Tensor AdaptBaseline(Tensor baseline, Tensor input)
    {
        if (baseline.dim() != input.dim()) return baseline;
        if (DrawBaselines)
        {
            var rows = randint(baseline.shape[0], [ExpandedBatch], dtype: ScalarType.Int64, device: baseline.device, generator: generator);
            return baseline.index_select(0, rows);
        }
        return baseline.shape[0] == OriginalBatch && OriginalBatch > 1 ? baseline.repeat_interleave(Factor, dim: 0) : baseline;
    }

    /// <summary>
    /// A feature mask adapted to the expanded input <paramref name="input"/>: a per-example mask (first dimension =
    /// the batch before the expansion, &gt; 1, same rank as the input) is repeated in place.
    /// </summary>
    public Tensor AdaptMask(Tensor mask, Tensor input) =>
        mask.dim() == input.dim() && mask.shape[0] == OriginalBatch && OriginalBatch > 1 ? mask.repeat_interleave(Factor, dim: 0) : mask;
}
