using FluentAttrib.Core.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Core.Cam;

/// <summary>What one forward (and backward) pass of a class activation map needs.</summary>
internal readonly record struct CamNeeds(bool Gradients, bool InputGradient = false, bool Hessian = false);

/// <summary>
/// One forward pass of a class activation map (pytorch-grad-cam's <c>BaseCAM.forward</c> up to the per-layer maps):
/// the layers' values, the resolved target, and, when asked, the gradients of L = Σ_b target_b(output_b) with respect
/// to the layers (and the input), and the Hessian-vector products H·A that ShapleyCAM needs. Layer values and
/// gradients are already reshaped (<see cref="LayerReshape"/>).
/// </summary>
internal sealed class CamPass
{
    public required Tensor Input { get; init; }
    public required Tensor Output { get; init; }
    public required Target Target { get; init; }

    /// <summary>The layers' values as the model produced them (for injection), before any reshape.</summary>
    public required Tensor[] NativeActivations { get; init; }
    public required Tensor[] Activations { get; init; }
    public Tensor[]? Gradients { get; init; }
    public Tensor[]? Hessians { get; init; }
    public Tensor? InputGradient { get; init; }

    /// <summary>
    /// Runs the model on <paramref name="input"/> with the layers hooked; <paramref name="resolve"/> turns the output
    /// into the target (pytorch-grad-cam resolves a missing target from the output of this very pass).
    /// </summary>
    public static CamPass Run(AttributionContext ctx, Tensor input, IReadOnlyList<ResolvedLayer> layers, bool toInput,
        Func<Tensor, Target> resolve, CamNeeds needs)
    {
        using var gradMode = needs.Gradients ? enable_grad() : no_grad();
        var owner = torch.CurrentDisposeScope;
        int n = layers.Count;
        var taps = new Tensor[n];
        var values = new Tensor[n];
        var x = needs.InputGradient ? input.detach().requires_grad_(true) : input;
        var output = LayerProbe.Run(ctx, [x], layers, toInput, (k, v) =>
        {
            values[k] = LayerProbe.Keep(v.detach().clone(), owner);
            if (!needs.Gradients) return null;
            if (!v.is_floating_point())
                throw new InvalidOperationException($"The output of layer {layers[k]} has dtype {v.dtype}; class activation maps need floating point.");
            taps[k] = LayerProbe.Keep(zeros_like(v).requires_grad_(true), owner);
            return v + taps[k];
        });
        var target = resolve(output.detach());
        var reshaped = values.Select((v, k) => Reshape(layers[k], v)).ToArray();
        if (!needs.Gradients)
            return new CamPass { Input = input, Output = output.detach(), Target = target, NativeActivations = values, Activations = reshaped };

        var selected = TargetSelector.Select(output, target);
        if (!selected.requires_grad)
            throw new InvalidOperationException(
                $"The target {target} of {ctx.Forward.Description} does not depend on the layers through differentiable operations (it has no gradient function).");
        var loss = selected.sum();
        var wrt = needs.InputGradient ? [.. taps, x] : taps;
        var results = Backward.Grad([loss], wrt, [ones_like(loss)], allowUnused: true, retainGraph: needs.Hessian, createGraph: needs.Hessian);
        var grads = new Tensor[n];
        for (int k = 0; k < n; k++) grads[k] = results[k] is { IsInvalid: false } g ? g : zeros_like(taps[k]);
        Tensor? inputGrad = null;
        if (needs.InputGradient) inputGrad = results[n] is { IsInvalid: false } gx ? gx.detach() : zeros_like(x);

        Tensor[]? hessians = null;
        if (needs.Hessian)
        {
            hessians = new Tensor[n];
            for (int k = 0; k < n; k++)
            {
                // H·A = ∂⟨G, A⟩/∂A; zero when the gradient does not depend on the layer (piecewise-linear downstream).
                if (!grads[k].requires_grad) { hessians[k] = zeros_like(values[k]); continue; }
                var hv = Backward.Grad([grads[k]], [taps[k]], [values[k]], allowUnused: true, retainGraph: true);
                hessians[k] = hv[0] is { IsInvalid: false } h ? h.detach() : zeros_like(values[k]);
            }
        }
        return new CamPass
        {
            Input = input,
            Output = output.detach(),
            Target = target,
            NativeActivations = values,
            Activations = reshaped,
            Gradients = grads.Select((g, k) => Reshape(layers[k], g.detach())).ToArray(),
            Hessians = hessians?.Select((h, k) => Reshape(layers[k], h)).ToArray(),
            InputGradient = inputGrad,
        };
    }

    private static Tensor Reshape(ResolvedLayer layer, Tensor value) =>
        layer.Handle.Reshape is { } r ? r.Apply(value, layer.Handle) : value;
}
