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
    /// <summary>Upper bound on an automatic batch: small inputs (tabular rows, small images) gain nothing from more copies
    /// per pass on a CPU and pay in memory.</summary>
    public const int MaxAutomaticExamples = 16;

    /// <summary>
    /// Bytes of input in one automatic pass, forward-only or forward + backward: on this class of CPU, large inputs run
    /// fastest in small batches, and a pass of a TorchSharp model holds every activation it creates until the pass ends,
    /// so memory grows with the batch. Measured on one 3×224×224 image (2 cores, idle):
    /// plain Occlusion 45/9 on TorchSharp's resnet18 took 11.2 s with 16 copies per pass (peak RSS 976 MB), 8.6 s with 8
    /// (742 MB), 8.7 s with 4 (578 MB), 8.9 s with 2 and 11.6 s with 1; on mobilenet_v2 32.4 s with 16 copies and 10.3 s
    /// with 4; IntegratedGradients with 50 steps on resnet18 took 1.99 s with 4 points per pass, 2.93 s with 8, 3.33 s with
    /// 16 and 6.66 s with all 50. So a pass holds about four such images; small inputs still reach
    /// <see cref="MaxAutomaticExamples"/>. Not for black boxes (ONNX Runtime sessions), which run fastest in larger batches
    /// (the ResNet18 ONNX with a dynamic batch: Occlusion 45/9 at 0.93× the session's batch-16 throughput with 16 copies per
    /// pass, 0.77× with 4).
    /// </summary>
    public const long PassInputBytes = 4L * 3 * 224 * 224 * sizeof(float);

    /// <summary>
    /// Bytes of the largest layer's input plus output in one automatic forward-only pass on a CPU, measured during the
    /// first pass (<see cref="LayerFootprint"/>); later passes hold fewer copies when the first one exceeded it. Measured
    /// with plain Occlusion 45/9 on one 3×224×224 image (2 cores, idle), copies per pass → seconds: TorchSharp's vgg16,
    /// whose first convolutions read and write 25.7 MB per copy, 1 → 65.9, 2 → 64.4, 4 → 89.7; mobilenet_v2 (9.6 MB per
    /// copy) 1 → 7.4, 2 → 5.3, 4 → 5.2, 8 → 15.9; resnet18 (6.4 MB per copy) 1 → 10.9, 2 → 11.5, 4 → 10.2, 8 → 10.4.
    /// A pass whose largest layer stays within about 64 MB runs at full speed; the input-based plan of
    /// <see cref="PassInputBytes"/> still bounds it from above.
    /// </summary>
    public const long PassLayerBytes = 64L << 20;

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
        // A black box (an ONNX Runtime session) manages its own memory and keeps nothing between its calls: only the count cap.
        long cap = ctx.Forward.Differentiable ? Math.Clamp(PassInputBytes / Math.Max(1, inputBytes), 1, MaxAutomaticExamples) : MaxAutomaticExamples;
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
