using static TorchSharp.torch;

namespace FluentAttrib.Core.Layers;

/// <summary>Runs the shared perturbation loop on a layer's value, injecting the perturbed value into the forward pass.</summary>
internal static class LayerPerturbation
{
    /// <summary>The layer's value on the run's inputs and F(x) per example for the run's target, without gradients.</summary>
    public static (Tensor[] Values, Tensor Initial) Evaluate(LayerContext context)
    {
        var run = context.Run;
        using var _ = no_grad();
        var (values, output) = LayerProbe.Evaluate(run, run.Inputs, context.Layers, context.ToInput);
        return (values, TargetSelector.Select(output, run.Target));
    }

    public static Tensor Run(LayerContext context, Tensor[] values, Tensor[] masks, Tensor initial, int perPass,
        Func<int, Tensor, Tensor, Tensor> perturb, string method)
    {
        var run = context.Run;
        return Perturbation.Attribute(run, values, masks, initial, perPass, perturb, (perturbed, k) =>
        {
            using var _ = no_grad();
            var output = LayerProbe.Inject(run, PathSteps.Tile(run.Inputs, k), context.Layers, context.ToInput, perturbed, k);
            return TargetSelector.Select(output, run.Target.Expand(k, interleave: false));
        }, method)[0];
    }
}
