using static TorchSharp.torch;

namespace FluentAttrib.Core.Metrics;

/// <summary>Explaining again inside a metric (Quantus's <c>explain_func</c>), followed by the metric's preprocessing.</summary>
internal static class Reexplanation
{
    /// <summary>
    /// The run's method's attribution of <paramref name="x"/> for <paramref name="target"/>, shaped like the given
    /// attribution (summed over the channel axis, kept, when the given attribution has one channel and the method
    /// returns several, as <c>quantus.explain</c> does) and preprocessed batch-wide: one flattened row per example.
    /// </summary>
    public static double[][] Explain(MetricRequest request, Tensor x, Target target, SettingValues v)
    {
        using var scope = NewDisposeScope();
        var method = request.Method!;
        var context = request.Context.With([x], target);
        using var attribution = method.Attribute(context);
        if (attribution.Values.Count != 1)
            throw new InvalidOperationException($"{method.Name} returned {attribution.Values.Count} attributions for one input.");
        var e = attribution.Values[0].detach();
        var want = request.Attribution.shape;
        if (e.dim() == 4 && want.Length == 4 && want[1] == 1 && e.shape[1] != 1) e = e.sum([1L], keepdim: true);
        if (e.numel() != request.Attribution.numel() / request.Attribution.shape[0] * x.shape[0])
            throw new ArgumentException(
                $"{method.Name} returns attributions of shape {Shapes.Format(e.shape)}, which do not match the given attribution's {Shapes.Format(want)}.", "attribution");
        return MetricMath.Preprocess(e, v.Normalization, v.Absolute);
    }
}
