using static TorchSharp.torch;

namespace FluentAttrib.Core;

/// <summary>
/// Chooses how many examples go into one forward pass when the user did not say, from a memory budget.
/// The footprint of one example is estimated from its input size: activations and (for gradient methods) their
/// gradients of typical vision and tabular networks stay within 16× (forward) / 64× (forward + backward) the
/// input's bytes plus a fixed allowance; the budget defaults to a quarter of the memory available to the process,
/// at most 2 GiB.
/// </summary>
internal static class BatchPlanner
{
    /// <summary>Upper bound on an automatic batch: on CPU, larger batches were measured slower (resnet18: 16 per pass ran
    /// Occlusion at 94% of plain batched-forward throughput, 64 per pass at 53%) and cost more memory.</summary>
    public const int MaxAutomaticExamples = 16;

    /// <summary>
    /// Bytes of input in one automatic forward + backward pass: on CPU, gradient passes over large inputs run fastest in
    /// small batches (resnet18, one 3×224×224 image, IntegratedGradients 50 steps: 4 points per pass 1.99 s, 8 points
    /// 2.93 s, 16 points 3.33 s, 50 points 6.66 s), so a pass holds about four such images; small inputs (tabular rows,
    /// small images) still reach <see cref="MaxAutomaticExamples"/>.
    /// </summary>
    public const long GradientPassInputBytes = 4L * 3 * 224 * 224 * sizeof(float);

    public static long DefaultBudgetBytes()
    {
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (available <= 0) available = 8L << 30;
        return Math.Min(2L << 30, available / 4);
    }

    /// <summary>
    /// How many single-example evaluations fit into one forward pass for <paramref name="inputs"/>, per one of its
    /// examples, at least 1.
    /// </summary>
    public static int ExamplesPerPass(AttributionContext ctx, IReadOnlyList<Tensor> inputs, bool withGradients)
    {
        long batch = Math.Max(1, inputs[0].shape[0]);
        long inputBytes = inputs.Sum(x => x.numel() * x.element_size()) / batch;
        long perExample = inputBytes * (withGradients ? 64 : 16) + (64 << 10);
        long budget = ctx.MemoryBudgetBytes ?? DefaultBudgetBytes();
        long cap = withGradients ? Math.Clamp(GradientPassInputBytes / Math.Max(1, inputBytes), 1, MaxAutomaticExamples) : MaxAutomaticExamples;
        return (int)Math.Clamp(budget / perExample, 1, cap);
    }

    /// <summary>
    /// How many examples of <paramref name="inputs"/> fit the memory budget in one pass, without the speed cap of
    /// <see cref="ExamplesPerPass"/> (for wrappers such as NoiseTunnel whose inner method batches again), at least 1.
    /// </summary>
    public static int ExamplesWithinBudget(AttributionContext ctx, IReadOnlyList<Tensor> inputs, bool withGradients)
    {
        long batch = Math.Max(1, inputs[0].shape[0]);
        long inputBytes = inputs.Sum(x => x.numel() * x.element_size()) / batch;
        long perExample = inputBytes * (withGradients ? 64 : 16) + (64 << 10);
        long budget = ctx.MemoryBudgetBytes ?? DefaultBudgetBytes();
        return (int)Math.Clamp(budget / perExample, 1, int.MaxValue);
    }
}
