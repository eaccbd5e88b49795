using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib.Core.Rules;

/// <summary>
/// Layer DeepLift: the layer's DeepLift multipliers times (layer(input) − layer(baseline)), and the delta.
/// Shared by LayerDeepLift and LayerDeepLiftShap (which runs it on every (example, baseline) pair).
/// </summary>
internal static class LayerDeepLiftComputation
{
    /// <summary>Layer DeepLift of <paramref name="inputs"/> against <paramref name="baselines"/> (same shapes) in <paramref name="context"/>'s run.</summary>
    public static (Tensor Values, Tensor? Delta) Compute(LayerContext context, Tensor[] inputs, Tensor[] baselines, DeepLiftEngine.Options options,
        bool multiplyByInputs, DeepLiftAttributionFunction? custom, bool withDelta, string method)
    {
        var run = context.Run;
        long batch = inputs[0].shape[0];
        Tensor[] layerGrads, layerValues;
        using (var session = DeepLiftEngine.Open(run, method, options, exclude: context.ToInput ? null : context.Layer.Module))
        {
            run.ThrowIfCancelled();
            var combined = inputs.Select((x, i) => cat([x, baselines[i]], 0)).ToArray();
            (layerGrads, layerValues, _) = session.Run(() =>
                LayerProbe.Gradients(run, combined, context.Layers, context.ToInput, run.Target.Expand(2, interleave: false), expansion: 2));
        }
        run.Report(method, 1, 1);
        int b = (int)batch;
        var multipliers = layerGrads[0][..b];
        var atInputs = layerValues[0][..b];
        var atBaselines = layerValues[0][b..];
        var values = DeepLiftEngine.Attributions([multipliers], [atInputs], [atBaselines], multiplyByInputs, custom, method)[0];
        var delta = withDelta ? Convergence.Delta(run, [values], baselines, inputs, run.Target) : null;
        return (values, delta);
    }
}
