using static TorchSharp.torch;

namespace FluentAttrib.Core.Layers;

/// <summary>Runs the shared perturbation loop on a layer's value, injecting the perturbed value into the forward pass.</summary>
internal static class LayerPerturbation
{
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
