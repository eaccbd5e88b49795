using System.Collections.Immutable;
using FluentAttrib.Core.Layers;
using FluentAttrib.Core.Perturbation;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// The settings that several methods share, each written once: every setter returns a new method of the same type
/// with one setting changed (methods are immutable values), and is offered only on the types that have the setting.
/// A method's static entry point of the same name starts from its <c>Default</c>, so
/// <c>IntegratedGradients.Steps(50).Steps(20)</c> and <c>KernelShap.Samples(200).Seed(0)</c> read alike.
/// Read a setting back with <c>method.Settings.Name</c> (<see cref="MethodSettingReadBack"/>).
/// </summary>
public static partial class MethodSettingExtensions
{
    /// <summary>Integrates in <paramref name="steps"/> steps (Captum's <c>n_steps</c>; the default is <see cref="Defaults.Steps"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> is less than 1, or less than 2 with the trapezoid rule.</exception>
    public static TMethod Steps<TMethod>(this TMethod method, int steps) where TMethod : ConfigurableMethod, IPathSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        PathSteps.Check(steps, method.Values.Quadrature, nameof(steps), method.Name);
        return Update(method, method.Values with { Steps = steps });
    }

    /// <summary>Integrates with the rule <paramref name="quadrature"/> (Captum's <c>method</c>; the default is <see cref="Defaults.Quadrature"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined rule, or the trapezoid rule with fewer than 2 steps.</exception>
    public static TMethod Quadrature<TMethod>(this TMethod method, Quadrature quadrature) where TMethod : ConfigurableMethod, IPathSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        PathSteps.CheckRule(quadrature, method.Values.Steps, nameof(quadrature), method.Name);
        return Update(method, method.Values with { Quadrature = quadrature });
    }

    /// <summary>
    /// Compares with <paramref name="baseline"/>: a scalar, a tensor broadcastable to the input, or one of these per
    /// input (<see cref="Baselines.PerInput"/>); Captum's <c>baselines</c>. The default is zero.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="baseline"/> is null.</exception>
    public static TMethod Baseline<TMethod>(this TMethod method, Baselines baseline) where TMethod : ConfigurableMethod, IBaselineSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(baseline);
        return Update(method, method.Values with { Baseline = baseline });
    }

    /// <summary>
    /// Draws baselines from <paramref name="distribution"/>: one tensor per input, each a stack of reference examples
    /// (first dimension: the distribution's size) with the input's other dimensions; Captum's <c>baselines</c> of the
    /// SHAP methods.
    /// </summary>
    /// <exception cref="ArgumentException">No tensor given, a tensor is null, or a tensor has no rows.</exception>
    public static TMethod BaselineDistribution<TMethod>(this TMethod method, params Tensor[] distribution)
        where TMethod : ConfigurableMethod, IBaselineDistributionSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(distribution);
        if (distribution.Length == 0) throw new ArgumentException("Give one baseline distribution per input.", nameof(distribution));
        for (int i = 0; i < distribution.Length; i++)
        {
            if (distribution[i] is null) throw new ArgumentNullException(nameof(distribution), $"Baseline distribution {i} is null.");
            if (distribution[i].dim() == 0 || distribution[i].shape[0] == 0)
                throw new ArgumentException($"Baseline distribution {i} needs at least one reference example in its first dimension.", nameof(distribution));
        }
        return Update(method, method.Values with { BaselineDistribution = distribution.ToImmutableArray() });
    }

    /// <summary>Draws <paramref name="samples"/> samples per example (Captum's <c>n_samples</c>, <c>nt_samples</c> or <c>n_perturb_samples</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samples"/> is less than 1.</exception>
    public static TMethod Samples<TMethod>(this TMethod method, int samples) where TMethod : ConfigurableMethod, ISamplesSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        if (samples < 1) throw new ArgumentOutOfRangeException(nameof(samples), samples, $"{method.Name} needs at least 1 sample.");
        return Update(method, method.Values with { Samples = samples });
    }

    /// <summary>
    /// Draws random numbers from a generator seeded with <paramref name="seed"/>, created per call, so the same seed
    /// gives the same result whatever the batching. Without a seed, torch's default generator is used.
    /// </summary>
    public static TMethod Seed<TMethod>(this TMethod method, long seed) where TMethod : ConfigurableMethod, ISeedSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        return Update(method, method.Values with { Seed = seed });
    }

    /// <summary>
    /// Evaluates at most <paramref name="perturbations"/> perturbed copies of the batch per forward pass (Captum's
    /// <c>perturbations_per_eval</c>). The result does not depend on it (up to floating-point rounding). Without it, the
    /// memory budget and the input's size plan the passes; on a CPU, Occlusion, FeatureAblation, FeaturePermutation,
    /// ShapleyValues, ShapleyValueSampling, Rise, Lime and KernelShap also measure the model's largest layer during
    /// their first pass and hold fewer copies in later passes when that layer would outgrow about 64 MB per pass
    /// (docs/performance.md, "Passes and native memory").
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="perturbations"/> is less than 1.</exception>
    public static TMethod PerturbationsPerPass<TMethod>(this TMethod method, int perturbations) where TMethod : ConfigurableMethod, IPerturbationsPerPassSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        if (perturbations < 1) throw new ArgumentOutOfRangeException(nameof(perturbations), perturbations, "At least 1 perturbation per pass is needed.");
        return Update(method, method.Values with { PerturbationsPerPass = perturbations });
    }

    /// <summary>
    /// Evaluates at most <paramref name="examples"/> expanded examples (path points, noisy copies, perturbed
    /// examples) per pass (Captum's <c>internal_batch_size</c>, <c>nt_samples_batch_size</c>,
    /// <c>max_examples_per_batch</c>). The result does not depend on it. Without it, the memory budget decides.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="examples"/> is less than 1.</exception>
    public static TMethod InternalBatchSize<TMethod>(this TMethod method, int examples) where TMethod : ConfigurableMethod, IInternalBatchSizeSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        if (examples < 1) throw new ArgumentOutOfRangeException(nameof(examples), examples, "At least 1 example per pass is needed.");
        return Update(method, method.Values with { InternalBatchSize = examples });
    }

    /// <summary>Adds Gaussian noise of standard deviation <paramref name="stdDev"/> to every input (Captum's <c>stdevs</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stdDev"/> is negative or not finite.</exception>
    public static TMethod StdDev<TMethod>(this TMethod method, double stdDev) where TMethod : ConfigurableMethod, INoiseSetting =>
        StdDevs(method, stdDev);

    /// <summary>Adds Gaussian noise with one standard deviation per input (one value applies to every input).</summary>
    /// <exception cref="ArgumentException">No value given.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value is negative or not finite.</exception>
    public static TMethod StdDevs<TMethod>(this TMethod method, params double[] stdDevs) where TMethod : ConfigurableMethod, INoiseSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(stdDevs);
        if (stdDevs.Length == 0) throw new ArgumentException("Give one standard deviation, or one per input.", nameof(stdDevs));
        foreach (var s in stdDevs)
            if (!(s >= 0) || double.IsInfinity(s))
                throw new ArgumentOutOfRangeException(nameof(stdDevs), s, "A noise standard deviation must be finite and at least 0.");
        return Update(method, method.Values with { StdDevs = stdDevs.ToImmutableArray() });
    }

    /// <summary>Multiplies the result by (input − baseline) (true, Captum's default) or not (Captum's <c>multiply_by_inputs</c>).</summary>
    public static TMethod MultiplyByInputs<TMethod>(this TMethod method, bool multiply = true) where TMethod : ConfigurableMethod, IMultiplyByInputsSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        return Update(method, method.Values with { MultiplyByInputs = multiply });
    }

    /// <summary>
    /// Also returns the convergence delta in <see cref="Attribution.Delta"/> (Captum's
    /// <c>return_convergence_delta</c>): Σ attribution − (F(input) − F(baseline)) per example.
    /// </summary>
    public static TMethod ReturnDelta<TMethod>(this TMethod method, bool delta = true) where TMethod : ConfigurableMethod, IDeltaSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        return Update(method, method.Values with { ReturnDelta = delta });
    }

    /// <summary>
    /// Groups elements into features by <paramref name="mask"/> (Captum's <c>feature_mask</c>, or <c>layer_mask</c>
    /// for layer methods): equal ids form one feature, across inputs too. The default is one feature per scalar.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="mask"/> is null.</exception>
    public static TMethod Mask<TMethod>(this TMethod method, FeatureMask mask) where TMethod : ConfigurableMethod, IMaskSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(mask);
        return Update(method, method.Values with { Mask = mask });
    }

    /// <summary>Returns attributions shaped like the inputs (true, the default) or the surrogate's coefficients, (batch, features).</summary>
    public static TMethod ReturnInputShape<TMethod>(this TMethod method, bool inputShape = true) where TMethod : ConfigurableMethod, IReturnInputShapeSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        return Update(method, method.Values with { ReturnInputShape = inputShape });
    }

    /// <summary>Uses <paramref name="eps"/> as the |Δin| below which a rule falls back to the plain gradient (the default is <see cref="Defaults.Eps"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="eps"/> is negative or not finite.</exception>
    public static TMethod Eps<TMethod>(this TMethod method, double eps) where TMethod : ConfigurableMethod, IDeepLiftSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        if (!(eps >= 0) || double.IsInfinity(eps)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be finite and at least 0.");
        return Update(method, method.Values with { Eps = eps });
    }

    /// <summary>Replaces multipliers × (input − baseline) by <paramref name="function"/> (Captum's <c>custom_attribution_func</c>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="function"/> is null.</exception>
    public static TMethod CustomAttribution<TMethod>(this TMethod method, DeepLiftAttributionFunction function) where TMethod : ConfigurableMethod, IDeepLiftSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(function);
        return Update(method, method.Values with { CustomAttribution = function });
    }

    /// <summary>
    /// Reproduces two Captum behaviours (true, the default: results equal Captum's) or gives the textbook rules
    /// (false). (1) Hook order: when a nonlinearity feeds another directly (ReLU → MaxPool), the first one's rule uses
    /// the gradient before the second one's rule replaced it. (2) Where the max-pool rule falls back to the plain
    /// gradient it uses the first example's for every example. Both can break summation-to-delta.
    /// </summary>
    public static TMethod CaptumQuirks<TMethod>(this TMethod method, bool reproduce = true) where TMethod : ConfigurableMethod, IDeepLiftSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        return Update(method, method.Values with { CaptumQuirks = reproduce });
    }

    /// <summary>
    /// Lets modules without a DeepLift rule pass the plain gradient (true), as Captum does silently; by default
    /// (false) such a module is refused with a message naming it.
    /// </summary>
    public static TMethod TreatUnsupportedAsLinear<TMethod>(this TMethod method, bool linear = true) where TMethod : ConfigurableMethod, IDeepLiftSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        return Update(method, method.Values with { TreatUnsupportedAsLinear = linear });
    }

    /// <summary>
    /// Evaluates perturbed copies incrementally where the model allows it (true, the default): a convolutional
    /// network the analysis understands recomputes, layer by layer, only the region each perturbation can influence.
    /// Results equal plain evaluation up to rounding; false always runs plain batched forward passes.
    /// </summary>
    public static TMethod Incremental<TMethod>(this TMethod method, bool enabled = true) where TMethod : ConfigurableMethod, IIncrementalSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        return Update(method, method.Values with { Incremental = enabled });
    }

    // Method-specific setters whose static entry point has the same name (C# does not allow a static and an
    // instance method of one signature in one type, so the instance form is an extension).

    /// <summary>Replaces the window by <paramref name="window"/> (one entry per non-batch dimension of a single input).</summary>
    /// <exception cref="ArgumentException">The window has no dimension, or the stride set before has another rank.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An extent is less than 1.</exception>
    public static Occlusion Window(this Occlusion method, params long[] window)
    {
        ArgumentNullException.ThrowIfNull(method);
        return method.WithWindows([WindowShapes.Check(window, nameof(window), "window")], nameof(window));
    }

    /// <summary>Replaces the windows by <paramref name="windows"/>, one shape per input in input order.</summary>
    /// <exception cref="ArgumentException">No window given, a window has no dimension, or the strides set before do not fit.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An extent is less than 1.</exception>
    public static Occlusion Windows(this Occlusion method, params long[][] windows)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(windows);
        if (windows.Length == 0) throw new ArgumentException("Give one window shape per input.", nameof(windows));
        var list = ImmutableArray.CreateBuilder<ValueList<long>>(windows.Length);
        for (int i = 0; i < windows.Length; i++)
        {
            if (windows[i] is null) throw new ArgumentNullException(nameof(windows), $"Window {i} is null.");
            list.Add(WindowShapes.Check(windows[i], nameof(windows), $"window {i}"));
        }
        return method.WithWindows(list.MoveToImmutable(), nameof(windows));
    }

    // --- LRP rules (Lrp, LayerLrp) ---

    /// <summary>
    /// Uses <paramref name="rule"/> on the leaf module at <paramref name="layer"/> (a dotted path such as
    /// <c>"flatten"</c> or <c>"layer1.0.conv1"</c>), replacing its default and any rule set for its module type; a
    /// second rule for the same layer replaces the first. Checked against the model when attributing. Rules for a
    /// module type: <c>Rule&lt;TModule&gt;(LrpRule)</c>. Read back as <c>Settings.LayerRules</c>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="layer"/> or <paramref name="rule"/> is null.</exception>
    /// <exception cref="ArgumentException">The layer path is empty (the model itself).</exception>
    public static TMethod Rule<TMethod>(this TMethod method, Layer layer, LrpRule rule) where TMethod : ConfigurableMethod, ILrpRuleSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(rule);
        if (layer.Path.Length == 0) throw new ArgumentException("Give the path of a layer inside the model, not the model itself.", nameof(layer));
        return Update(method, method.Values with { LayerRules = method.Values.LayerRules.SetItem(layer.Path, rule) });
    }

    /// <summary>The rule-for-a-module-type setter of <see cref="Lrp"/> and <see cref="LayerLrp"/> (an instance method of each, as its module type is a type argument).</summary>
    internal static TMethod TypeRule<TMethod>(TMethod method, Type moduleType, LrpRule rule) where TMethod : ConfigurableMethod, ILrpRuleSetting
    {
        ArgumentNullException.ThrowIfNull(rule);
        return Update(method, method.Values with { TypeRules = method.Values.TypeRules.SetItem(moduleType, rule) });
    }

    // --- Attention-aware methods (AttentionRollout, AttentionFlow, GradientWeightedRollout) ---

    /// <summary>
    /// Reads the attention from <paramref name="layers"/>: modules whose output is the attention probabilities
    /// (N, heads, L, L), such as the softmax of each self-attention, first layer first. By default every
    /// <c>Softmax</c> module of the model, in module order. Read back as <c>Settings.AttentionLayers</c>.
    /// </summary>
    /// <exception cref="ArgumentException">No layer given, or a layer is null.</exception>
    public static TMethod AttentionLayers<TMethod>(this TMethod method, params Layer[] layers) where TMethod : ConfigurableMethod, IAttentionSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Length == 0 || layers.Any(l => l is null))
            throw new ArgumentException("Give at least one attention layer, none of them null.", nameof(layers));
        return Update(method, method.Values with { AttentionLayers = [.. layers] });
    }

    /// <summary>
    /// Which output tokens the relevance is read for: the first token ([CLS], the default, for classifiers that read
    /// it) or the mean over every real token (for mean-pooled sentence embeddings). Read back as <c>Settings.Readout</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined readout.</exception>
    public static TMethod Readout<TMethod>(this TMethod method, AttentionReadout readout) where TMethod : ConfigurableMethod, IAttentionSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        if (!Enum.IsDefined(readout)) throw new ArgumentOutOfRangeException(nameof(readout), readout, "Unknown readout.");
        return Update(method, method.Values with { Readout = readout });
    }

    /// <summary>
    /// How the heads of a layer are fused into one attention map: their mean (the default, as Abnar and Zuidema),
    /// maximum or minimum. Read back as <c>Settings.HeadFusion</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined fusion.</exception>
    public static TMethod HeadFusion<TMethod>(this TMethod method, AttentionHeadFusion fusion) where TMethod : ConfigurableMethod, IHeadFusionSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        if (!Enum.IsDefined(fusion)) throw new ArgumentOutOfRangeException(nameof(fusion), fusion, "Unknown head fusion.");
        return Update(method, method.Values with { HeadFusion = fusion });
    }

    /// <summary>A copy of <paramref name="method"/> with <paramref name="values"/>; the one place a setting is stored.</summary>
    internal static TMethod Update<TMethod>(TMethod method, SettingValues values) where TMethod : ConfigurableMethod =>
        (TMethod)method.WithValues(values);
}
