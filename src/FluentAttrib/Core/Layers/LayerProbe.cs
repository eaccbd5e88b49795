using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Core.Layers;

/// <summary>
/// The one place that hooks layers. Each call registers forward hooks (or pre-hooks, for a layer's input) on the
/// resolved layers, runs the model once, checks that every hook fired exactly once, and removes the hooks in a
/// <c>finally</c> — after success, an exception (also one thrown by a hook) or a cancellation.
/// <para>
/// TorchSharp pitfalls handled here: tensors kept from a hook are moved out of the model's own dispose scopes into
/// the caller's scope (TorchVision models and Sequential dispose intermediates); a hook never hands the model a
/// tensor we keep, only a fresh one (a clone, or value + a zero gradient tap), so downstream in-place operations
/// (BasicBlock's <c>add_</c>/<c>relu_</c>) and Sequential's disposal of intermediates cannot touch it; every <c>autograd.grad</c> call is preceded by checks of its preconditions, since
/// an error inside it aborts the process.
/// </para>
/// </summary>
internal static class LayerProbe
{
    /// <summary>
    /// Runs the model on <paramref name="inputs"/> (plus the context's additional arguments, expanded
    /// <paramref name="expansion"/> times) with hooks on <paramref name="layers"/>. <paramref name="onValue"/> gets
    /// the layer index and the layer's output (or input) and returns a replacement or null. <paramref name="outputRows"/>
    /// (when ≥ 0): the number of output rows expected instead of one per input row (a replacement with more rows).
    /// </summary>
    public static Tensor Run(AttributionContext ctx, IReadOnlyList<Tensor> inputs, IReadOnlyList<ResolvedLayer> layers, bool toInput,
        Func<int, Tensor, Tensor?> onValue, int expansion = 1, bool interleave = false, long outputRows = -1)
    {
        var fired = new int[layers.Count];
        var removers = new List<Action>(layers.Count);
        // The hooks act only on this pass, on this thread: other threads calling the model (plainly or in their own
        // attributions) pass through them untouched.
        var owner = new HookOwner();
        try
        {
            for (int i = 0; i < layers.Count; i++)
            {
                int k = i;
                var layer = layers[i];
                Tensor? Hook(Tensor value)
                {
                    if (!owner.IsActiveHere) return null;
                    if (++fired[k] > 1)
                        throw new InvalidOperationException(
                            $"Layer {layer} ran more than once in one forward pass (is the module used twice?); layer attribution needs exactly one value per example.");
                    if (value is null)
                        throw new InvalidOperationException($"Layer {layer} was called with a null tensor.");
                    if (!toInput && layer.Handle.Shape is { } declared && !declared.SequenceEqual(value.shape.Skip(1)))
                        throw new InvalidOperationException(
                            $"Layer {layer} declares output shape {Shapes.Format(declared.ToArray())} (without batch) but produced {Shapes.Format(value.shape)}.");
                    return onValue(k, value);
                }
                if (toInput)
                {
                    removers.Add(ModuleHooks.AddPre(layer.Module, (_, x) => Hook(x)));
                }
                else
                {
                    removers.Add(ModuleHooks.AddPost(layer.Module, (_, _, y) => Hook(y)));
                }
            }
            Tensor output;
            using (owner.Enter())
                output = ctx.Forward.Invoke(inputs, ctx.AdditionalArgs, ctx.BatchSize, expansion, interleave, outputRows);
            ctx.ThrowIfCancelled();
            for (int i = 0; i < layers.Count; i++)
                if (fired[i] == 0)
                    throw new InvalidOperationException(
                        $"Layer {layers[i]} did not run during the forward pass of {ctx.Forward.Description}. Hooks fire only when a module is invoked through call(...), not forward(...): make the model call it that way.");
            return output;
        }
        finally
        {
            for (int i = removers.Count - 1; i >= 0; i--) removers[i]();
        }
    }

    /// <summary>
    /// Moves a tensor just created inside a hook (possibly inside a model's own dispose scope) into
    /// <paramref name="owner"/>. When the hook runs in <paramref name="owner"/> itself nothing is done: TorchSharp
    /// 0.107's MoveToOther to the tensor's own scope drops it from the scope while keeping it marked as owned, and its
    /// finalizer later throws on the disposed scope (crashing the process).
    /// </summary>
    internal static Tensor Keep(Tensor t, DisposeScope? owner)
    {
        if (ReferenceEquals(torch.CurrentDisposeScope, owner)) return t;
        return owner is null ? t.DetachFromDisposeScope() : t.MoveToOtherDisposeScope(owner);
    }

    private static string What(bool toInput) => toInput ? "input" : "output";

    /// <summary>The layers' values (copies, no gradient) for <paramref name="inputs"/>, and the model output.</summary>
    public static (Tensor[] Values, Tensor Output) Evaluate(AttributionContext ctx, IReadOnlyList<Tensor> inputs, IReadOnlyList<ResolvedLayer> layers,
        bool toInput, int expansion = 1, bool interleave = false)
    {
        using var _ = no_grad();
        var owner = torch.CurrentDisposeScope;
        var values = new Tensor[layers.Count];
        var output = Run(ctx, inputs, layers, toInput, (k, v) =>
        {
            values[k] = Keep(v.detach().clone(), owner);
            return null;
        }, expansion, interleave);
        return (values, output);
    }

    /// <summary>
    /// Gradients of the sum of the target outputs with respect to the layers' values (zeros where the output does not
    /// depend on a layer), the layers' values and the selected outputs.
    /// <para>
    /// The gradient is read from a tap: the hook hands the model <c>value + tap</c>, where <c>tap</c> is a zero leaf
    /// of ours, so ∂F/∂tap = ∂F/∂value while the value stays connected to everything upstream (with several layers,
    /// one may feed another, and the gradient of the upstream one must flow through the downstream one, as in
    /// Captum). The model only ever sees the sum, a fresh tensor, so in-place operations downstream touch neither the
    /// value nor the tap, and autograd only walks from the output back to the taps.
    /// </para>
    /// </summary>
    public static (Tensor[] Gradients, Tensor[] Values, Tensor Selected) Gradients(AttributionContext ctx, IReadOnlyList<Tensor> inputs,
        IReadOnlyList<ResolvedLayer> layers, bool toInput, Target target, int expansion = 1, bool interleave = false)
    {
        using var _ = enable_grad();
        var owner = torch.CurrentDisposeScope;
        var taps = new Tensor[layers.Count];
        var values = new Tensor[layers.Count];
        var output = Run(ctx, inputs, layers, toInput, (k, v) =>
        {
            RequireFloating(v, layers[k], toInput);
            values[k] = Keep(v.detach().clone(), owner);
            taps[k] = Keep(zeros_like(v).requires_grad_(true), owner);
            return v + taps[k];
        }, expansion, interleave);
        var selected = TargetSelector.Select(output, target);
        var grads = Grad(selected, taps, $"the {What(toInput)} of layer(s) {string.Join(", ", layers)}", ctx);
        return (grads, values, selected.detach());
    }

    /// <summary>
    /// Runs the model with the layers' values replaced by <paramref name="values"/> (whose batch must match the run's)
    /// and returns the raw model output. Gradients flow to <paramref name="values"/> when they require grad.
    /// </summary>
    public static Tensor Inject(AttributionContext ctx, IReadOnlyList<Tensor> inputs, IReadOnlyList<ResolvedLayer> layers, bool toInput,
        IReadOnlyList<Tensor> values, int expansion = 1)
    {
        return Run(ctx, inputs, layers, toInput, (k, v) =>
        {
            if (!v.shape.SequenceEqual(values[k].shape))
                throw new InvalidOperationException(
                    $"The {What(toInput)} of layer {layers[k]} has shape {Shapes.Format(v.shape)} but the injected value has {Shapes.Format(values[k].shape)}.");
            return values[k].clone();
        }, expansion);
    }

    /// <summary>
    /// Runs the model on one example (<paramref name="inputs"/> of one row) with the layer's value replaced by
    /// <paramref name="rows"/>, n rows of the same shape: the modules before the layer run once, those after it on the
    /// n rows. Returns the output, which must have n rows (an <see cref="ArgumentException"/> otherwise). Modules after
    /// the layer that combine its value with a tensor from before it see that tensor with one row: broadcasting gives
    /// what n copies of the example would give, and operations that do not broadcast (concatenation) fail.
    /// </summary>
    public static Tensor InjectRows(AttributionContext ctx, IReadOnlyList<Tensor> inputs, ResolvedLayer layer, bool toInput, Tensor rows)
    {
        return Run(ctx, inputs, [layer], toInput, (_, v) =>
        {
            if (v.dim() != rows.dim() || v.shape[0] != 1 || !v.shape.AsSpan(1).SequenceEqual(rows.shape.AsSpan(1)))
                throw new InvalidOperationException(
                    $"The {What(toInput)} of layer {layer} has shape {Shapes.Format(v.shape)} but the injected rows have {Shapes.Format(rows.shape)}.");
            return rows.clone();
        }, outputRows: rows.shape[0]);
    }

    /// <summary>The selected neuron's value per example, without gradients.</summary>
    public static Tensor NeuronValues(AttributionContext ctx, IReadOnlyList<Tensor> inputs, ResolvedLayer layer, bool toInput,
        NeuronSelector selector, int expansion = 1)
    {
        using var _ = no_grad();
        var owner = torch.CurrentDisposeScope;
        Tensor? neuron = null;
        Run(ctx, inputs, [layer], toInput, (_, v) =>
        {
            neuron = Keep(selector.Select(v, layer, toInput).detach().clone(), owner);
            return null;
        }, expansion);
        return neuron!;
    }

    /// <summary>Gradients of the selected neuron (summed over the batch) with respect to each input.</summary>
    public static Tensor[] NeuronGradients(AttributionContext ctx, IReadOnlyList<Tensor> inputs, ResolvedLayer layer, bool toInput,
        NeuronSelector selector, int expansion = 1, bool interleave = false)
    {
        RequireFloatingInputs(inputs);
        using var _ = enable_grad();
        var owner = torch.CurrentDisposeScope;
        var leaves = inputs.Select(x => x.detach().requires_grad_(true)).ToArray();
        Tensor? neuron = null;
        Run(ctx, leaves, [layer], toInput, (_, v) =>
        {
            neuron = Keep(selector.Select(v, layer, toInput), owner);
            return v.clone();
        }, expansion, interleave);
        return Grad(neuron!, leaves, "the inputs", ctx, $"neuron {selector} of layer {layer}");
    }

    /// <summary>
    /// In one forward pass: the gradient of the target outputs with respect to the layer's value, and the gradients
    /// of the selected neuron with respect to each input.
    /// </summary>
    public static (Tensor[] InputGradients, Tensor LayerGradient) NeuronAndLayerGradients(AttributionContext ctx, IReadOnlyList<Tensor> inputs,
        ResolvedLayer layer, bool toInput, NeuronSelector selector, Target target, int expansion = 1)
    {
        RequireFloatingInputs(inputs);
        using var _ = enable_grad();
        var owner = torch.CurrentDisposeScope;
        var leaves = inputs.Select(x => x.detach().requires_grad_(true)).ToArray();
        Tensor? neuron = null, leaf = null;
        var output = Run(ctx, leaves, [layer], toInput, (_, v) =>
        {
            RequireFloating(v, layer, toInput);
            neuron = Keep(selector.Select(v, layer, toInput), owner);
            leaf = Keep(v.detach().clone().requires_grad_(true), owner);
            return leaf.clone();
        }, expansion);
        var selected = TargetSelector.Select(output, target);
        var layerGrad = Grad(selected, [leaf!], $"the {What(toInput)} of layer {layer}", ctx)[0];
        var inputGrads = Grad(neuron!, leaves, "the inputs", ctx, $"neuron {selector} of layer {layer}");
        return (inputGrads, layerGrad);
    }

    /// <summary>
    /// d(sum of <paramref name="of"/>)/d<paramref name="wrt"/>, zeros for unused tensors. Checks the preconditions that
    /// would otherwise abort the process inside autograd.
    /// </summary>
    internal static Tensor[] Grad(Tensor of, Tensor[] wrt, string wrtWhat, AttributionContext ctx, string? ofWhat = null)
    {
        ofWhat ??= $"the selected output of {ctx.Forward.Description}";
        if (!of.requires_grad)
            throw new InvalidOperationException(
                $"{char.ToUpperInvariant(ofWhat[0])}{ofWhat[1..]} does not depend on {wrtWhat} through differentiable operations (it has no gradient function).");
        foreach (var w in wrt)
            if (!w.requires_grad) throw new InvalidOperationException("internal: a gradient was requested for a tensor that does not require grad.");
        var results = Backward.Grad([of], wrt, [ones_like(of)], allowUnused: true);
        var grads = new Tensor[wrt.Length];
        for (int i = 0; i < wrt.Length; i++)
            grads[i] = results[i] is { IsInvalid: false } g ? g : zeros_like(wrt[i]);
        return grads;
    }

    private static void RequireFloating(Tensor v, ResolvedLayer layer, bool toInput)
    {
        if (!v.is_floating_point())
            throw new InvalidOperationException(
                $"The {What(toInput)} of layer {layer} has dtype {v.dtype}; gradients with respect to it need floating point (attribute to a later layer).");
    }

    internal static void RequireFloatingInputs(IReadOnlyList<Tensor> inputs)
    {
        for (int i = 0; i < inputs.Count; i++)
            if (!inputs[i].is_floating_point())
                throw new ArgumentException(
                    $"Input {i} has dtype {inputs[i].dtype}; neuron gradient methods need floating-point inputs (for token ids, use a perturbation method such as NeuronFeatureAblation).",
                    "inputs");
    }
}
