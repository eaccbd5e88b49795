using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Core;

/// <summary>
/// Measures, during one forward pass, the largest working set of any single layer of a TorchSharp model: the bytes of
/// a leaf module's input plus its output. On a CPU, how many copies a pass should hold depends on that figure rather
/// than on the input's size: a pass whose largest layer no longer fits the processor's caches runs slower per copy.
/// The hooks belong to their own <see cref="HookOwner"/>, act only for the measured pass and are removed before
/// <see cref="Run"/> returns.
/// </summary>
internal static class LayerFootprint
{
    /// <summary>
    /// The model whose first pass to measure when <paramref name="ctx"/>'s pass size was planned, or null where the
    /// rule does not apply: not on a CPU, a black box (an ONNX Runtime session manages its own memory), or no module.
    /// </summary>
    public static nn.Module? ToMeasure(AttributionContext ctx) =>
        ctx.Forward.Differentiable && ctx.Forward.Module is { } module && ctx.Inputs[0].device_type == DeviceType.CPU ? module : null;

    /// <summary>
    /// Copies per pass after a first pass of <paramref name="copies"/> copies whose largest layer took
    /// <paramref name="largestBytes"/>: as many as keep that layer within <see cref="BatchPlanner.PassLayerBytes"/>,
    /// at least 1 and at most <paramref name="planned"/>.
    /// </summary>
    public static int Fitting(long largestBytes, int copies, int planned) =>
        largestBytes > 0 ? (int)Math.Clamp(BatchPlanner.PassLayerBytes * copies / largestBytes, 1, planned) : planned;

    /// <summary>
    /// Runs <paramref name="pass"/> with every one-tensor leaf module of <paramref name="model"/> measured, and returns
    /// its result and the largest input + output bytes seen (0 when no leaf module ran through <c>call</c>).
    /// </summary>
    public static (T Result, long LargestBytes) Run<T>(nn.Module model, Func<T> pass)
    {
        var owner = new HookOwner();
        long largest = 0;
        var removers = new List<Action>();
        try
        {
            foreach (var (_, module) in model.named_modules())
            {
                if (module is not nn.Module<Tensor, Tensor> leaf || module.named_children().Any()) continue;
                removers.Add(ModuleHooks.AddPost(leaf, (_, x, y) =>
                {
                    if (owner.IsActiveHere)
                        largest = Math.Max(largest, x.numel() * x.element_size() + y.numel() * y.element_size());
                    return null;
                }));
            }
            using (owner.Enter())
                return (pass(), largest);
        }
        finally
        {
            foreach (var remove in removers) remove();
        }
    }
}
