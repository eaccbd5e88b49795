using static TorchSharp.torch;

namespace FluentAttrib.Core;

/// <summary>Per-example views of a batch's target and additional arguments (for methods that loop over examples).</summary>
internal static class ExampleSlicing
{
    /// <summary>The target of example <paramref name="example"/> alone: a shared target as is, a per-example one reduced to that example's entry.</summary>
    public static Target TargetOf(Target target, int example) => target.ForExample(example);

    /// <summary>
    /// The additional arguments for example <paramref name="example"/> alone: tensors whose first dimension is the
    /// batch size <paramref name="batch"/> are sliced to that example (keeping the dimension), others are passed as is.
    /// </summary>
    public static Tensor[] AdditionalOf(IReadOnlyList<Tensor> additional, long batch, int example) =>
        additional.Select(a => a.dim() > 0 && a.shape[0] == batch ? a.narrow(0, example, 1) : a).ToArray();

    /// <summary>Additional arguments for a batch of <paramref name="times"/> in-place copies of each example (example-major).</summary>
    public static Tensor[] RepeatInterleave(IReadOnlyList<Tensor> additional, long batch, int times) =>
        additional.Select(a => times != 1 && a.dim() > 0 && a.shape[0] == batch ? a.repeat_interleave(times, dim: 0) : a).ToArray();
}
