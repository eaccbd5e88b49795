using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib.Core.Rules;

/// <summary>
/// Neuron DeepLift: the neuron's DeepLift multipliers with respect to the inputs times (input − baseline).
/// Shared by NeuronDeepLift and NeuronDeepLiftShap (which runs it on every (example, baseline) pair).
/// </summary>
internal static class NeuronDeepLiftComputation
{
    /// <summary>Neuron DeepLift of <paramref name="inputs"/> against <paramref name="baselines"/> in <paramref name="context"/>'s run.</summary>
    public static Tensor[] Compute(NeuronContext context, Tensor[] inputs, Tensor[] baselines, DeepLiftEngine.Options options,
        bool multiplyByInputs, DeepLiftAttributionFunction? custom, string method)
    {
        var run = context.Run;
        int batch = (int)inputs[0].shape[0];
        Tensor[] grads;
        using (var session = DeepLiftEngine.Open(run, method, options))
        {
            run.ThrowIfCancelled();
            var combined = inputs.Select((x, i) => cat([x, baselines[i]], 0)).ToArray();
            grads = session.Run(() => LayerProbe.NeuronGradients(run, combined, context.Layer, context.ToInput, context.Selector, expansion: 2));
        }
        run.Report(method, 1, 1);
        var multipliers = grads.Select(g => g[..batch]).ToArray();
        return DeepLiftEngine.Attributions(multipliers, inputs, baselines, multiplyByInputs, custom, method);
    }
}
