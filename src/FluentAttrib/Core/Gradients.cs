using static TorchSharp.torch;

namespace FluentAttrib.Core;

/// <summary>Gradients of the selected outputs with respect to the inputs: the one place that calls autograd.</summary>
internal static class Gradients
{
    /// <summary>
    /// Runs the model on <paramref name="inputs"/> (made leaves that require grad) and returns the gradient of
    /// the sum of the target outputs with respect to each input (zeros where an input is unused), together with
    /// the selected outputs (detached).
    /// </summary>
    public static (Tensor[] Gradients, Tensor Outputs) Compute(AttributionContext ctx, IReadOnlyList<Tensor> inputs,
        Target target, int expansion = 1, bool interleave = false)
    {
        ForwardOnly.RequireGradients(ctx.Forward, "This method");
        for (int i = 0; i < inputs.Count; i++)
            if (!inputs[i].is_floating_point())
                throw new ArgumentException(
                    $"Input {i} has dtype {inputs[i].dtype}; gradient methods need floating-point inputs (for token ids, attribute to the embedding layer).",
                    "inputs");

        using var grad = enable_grad();
        var leaves = inputs.Select(x => x.detach().requires_grad_(true)).ToArray();
        var output = ctx.Forward.Invoke(leaves, ctx.AdditionalArgs, ctx.BatchSize, expansion, interleave);
        var selected = TargetSelector.Select(output, target);
        if (!selected.requires_grad)
            throw new InvalidOperationException(
                $"The output of {ctx.Forward.Description} does not depend on the inputs through differentiable operations (it has no gradient function).");
        var results = Backward.Grad([selected], leaves, [ones_like(selected)], allowUnused: true);
        var grads = new Tensor[leaves.Length];
        for (int i = 0; i < leaves.Length; i++)
            grads[i] = results[i] is { IsInvalid: false } g ? g : zeros_like(leaves[i]);
        return (grads, selected.detach());
    }
}
