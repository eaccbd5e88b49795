using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Core.Rules;

/// <summary>The DeepLift pass shared by DeepLift and DeepLiftShap (and their layer and neuron forms).</summary>
internal static class DeepLiftEngine
{
    /// <summary>Settings every DeepLift-style method has.</summary>
    internal readonly record struct Options(double Eps, bool CaptumQuirks, bool UnsupportedAsLinear)
    {
        /// <summary>The options stored in a DeepLift-style method's settings.</summary>
        public static Options Of(SettingValues values) => new(values.Eps, values.CaptumQuirks, values.TreatUnsupportedAsLinear);
    }

    /// <summary>
    /// Hooks DeepLift's rules onto the model's supported nonlinearities, except <paramref name="exclude"/> (Captum's
    /// layer DeepLift leaves the layer itself alone when attributing to its output).
    /// </summary>
    /// <exception cref="ArgumentException">The model is not a module, applies activations functionally where we can see it, or has a nonlinearity without a rule.</exception>
    public static RuleSession Open(AttributionContext ctx, string method, Options options, nn.Module? exclude = null)
    {
        var model = ctx.Forward.Module ?? throw new ArgumentException(
            $"{method} puts rules on the model's nonlinear modules, so it needs the model itself: use Explain(module) rather than Explain(function).",
            "model");
        var tree = ModuleTree.Of(model);
        tree.RejectFunctionalActivations(method);
        if (!options.UnsupportedAsLinear)
        {
            foreach (var (module, path) in tree.Modules)
                if (RuleSupport.IsRecurrent(module)) throw RuleSupport.DeepLiftRecurrent(method, path, module);
                else if (DeepLiftRule.IsUnsupportedNonlinearity(module))
                    throw new ArgumentException(
                        $"{method} has no rule for {ModuleTree.Describe(path, module)}: its rules cover ReLU, ELU, LeakyReLU, Sigmoid, Tanh, Softplus, " +
                        "Softmax and MaxPool1d/2d/3d. Captum silently treats other nonlinearities as linear, which breaks the summation-to-delta " +
                        "property; call TreatUnsupportedAsLinear() to accept that.",
                        "model");
        }
        var session = new RuleSession(tree, method, options.CaptumQuirks);
        try
        {
            foreach (var (module, _) in tree.Modules)
                if (!ReferenceEquals(module, exclude) && DeepLiftRule.For(module, options.Eps, options.CaptumQuirks) is { } rule)
                    session.Attach(module, rule);
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// DeepLift multipliers ∂F/∂x under the rules, for every input: one pass over inputs and baselines stacked along
    /// dimension 0 (2B rows), the target selected in both halves, as Captum runs it.
    /// </summary>
    public static Tensor[] Multipliers(AttributionContext ctx, RuleSession session, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> baselines)
    {
        long batch = inputs[0].shape[0];
        var combined = inputs.Select((x, i) => cat([x, baselines[i]], 0)).ToArray();
        var (grads, _) = session.Run(() => Gradients.Compute(ctx, combined, ctx.Target.Expand(2, interleave: false), expansion: 2));
        return grads.Select(g => g[..(int)batch]).ToArray();
    }

    /// <summary>Attributions from multipliers: × (input − baseline), the multipliers themselves, or a custom function.</summary>
    public static Tensor[] Attributions(Tensor[] multipliers, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> baselines,
        bool multiplyByInputs, DeepLiftAttributionFunction? custom, string method)
    {
        if (custom is not null)
        {
            var result = custom(multipliers, inputs, baselines)
                ?? throw new InvalidOperationException($"The custom attribution function of {method} returned null.");
            if (result.Length != inputs.Count)
                throw new InvalidOperationException(
                    $"The custom attribution function of {method} returned {result.Length} tensors for {inputs.Count} inputs.");
            // Fresh handles: the function may return its arguments, which the caller must not dispose.
            return result.Select(t => t.alias()).ToArray();
        }
        return multiplyByInputs
            ? multipliers.Select((m, i) => (inputs[i] - baselines[i]) * m).ToArray()
            : multipliers;
    }

    /// <summary>Additional arguments expanded as the inputs are (example-major repetition).</summary>
    public static Tensor[] RepeatInterleave(Tensor[] additional, long batch, int times) =>
        additional.Select(a => a.dim() > 0 && a.shape[0] == batch ? a.repeat_interleave(times, dim: 0) : a).ToArray();
}
