using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib.Core.Rules;

/// <summary>
/// A neuron's gradient with respect to the inputs under the modified ReLU rule: shared by NeuronGuidedBackprop
/// (gradients passed back clamped at 0) and NeuronDeconvolution (the output gradient clamped at 0).
/// </summary>
internal static class ModifiedReluNeuron
{
    public static Attribution Attribute(NeuronContext context, string method, bool useGradOutput, Func<NeuronContext, Tensor[], Tensor?, Attribution> result)
    {
        var run = context.Run;
        using var scope = NewDisposeScope();
        Tensor[] grads;
        using (var session = ModifiedReluRule.Open(run, method, useGradOutput))
        {
            run.ThrowIfCancelled();
            grads = session.Run(() => LayerProbe.NeuronGradients(run, run.Inputs, context.Layer, context.ToInput, context.Selector));
        }
        run.Report(method, 1, 1);
        return result(context, grads.Select(g => g.MoveToOuterDisposeScope()).ToArray(), null);
    }
}
