using System.Collections.Immutable;

namespace FluentAttrib;

// Setters of the evaluation metrics' shared settings (one per concept, docs/naming.md).
public static partial class MethodSettingExtensions
{
    /// <summary>
    /// Scales attributions with <paramref name="normalization"/> before the metric uses them (Quantus's
    /// <c>normalise</c> / <c>normalise_func</c>); each metric's <c>Default</c> says its own default.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined normalization.</exception>
    public static TMethod Normalization<TMethod>(this TMethod method, AttributionNormalization normalization)
        where TMethod : ConfigurableMethod, IAttributionPreprocessingSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        if (!Enum.IsDefined(normalization)) throw new ArgumentOutOfRangeException(nameof(normalization), normalization, "Not a defined normalization.");
        return Update(method, method.Values with { Normalization = normalization });
    }

    /// <summary>Takes the absolute value of the (normalized) attributions (Quantus's <c>abs</c>).</summary>
    public static TMethod Absolute<TMethod>(this TMethod method, bool absolute = true)
        where TMethod : ConfigurableMethod, IAttributionPreprocessingSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        return Update(method, method.Values with { Absolute = absolute });
    }

    /// <summary>
    /// Scores the model's softmax output (true) or its logits (false), as Quantus's call argument <c>softmax</c>: a
    /// softmax over the last axis is appended to a model that does not end in one, and a final
    /// <c>nn.Softmax</c> module of a <c>Sequential</c> is skipped when false.
    /// </summary>
    public static TMethod Softmax<TMethod>(this TMethod method, bool softmax = true)
        where TMethod : ConfigurableMethod, ISoftmaxSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        return Update(method, method.Values with { Softmax = softmax });
    }

    /// <summary>Replaces removed features by <paramref name="substrate"/> (Quantus's <c>perturb_baseline</c>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="substrate"/> is null.</exception>
    public static TMethod Substrate<TMethod>(this TMethod method, Substrate substrate)
        where TMethod : ConfigurableMethod, ISubstrateSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(substrate);
        return Update(method, method.Values with { Substrate = substrate });
    }

    /// <summary>Removes <paramref name="features"/> features per step (Quantus's <c>features_in_step</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="features"/> is less than 1.</exception>
    public static TMethod FeaturesPerStep<TMethod>(this TMethod method, int features)
        where TMethod : ConfigurableMethod, IFeaturesPerStepSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        return Update(method, method.Values with { FeaturesPerStep = features });
    }

    /// <summary>Removes square patches of <paramref name="size"/>×<paramref name="size"/> elements (Quantus's <c>patch_size</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is less than 1.</exception>
    public static TMethod PatchSize<TMethod>(this TMethod method, int size)
        where TMethod : ConfigurableMethod, IPatchSizeSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        return Update(method, method.Values with { PatchSizes = ImmutableArray.Create(size) });
    }

    /// <summary>Values at or below <paramref name="threshold"/> count as zero (Quantus's <c>eps</c> of these metrics).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threshold"/> is negative or not finite.</exception>
    public static TMethod Threshold<TMethod>(this TMethod method, double threshold)
        where TMethod : ConfigurableMethod, IThresholdSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        if (!(threshold >= 0) || !double.IsFinite(threshold))
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The threshold must be finite and not negative.");
        return Update(method, method.Values with { Threshold = threshold });
    }

    /// <summary>Compares vectors with <paramref name="similarity"/> (Quantus's <c>similarity_func</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined similarity.</exception>
    public static TMethod Similarity<TMethod>(this TMethod method, Similarity similarity)
        where TMethod : ConfigurableMethod, ISimilaritySetting
    {
        ArgumentNullException.ThrowIfNull(method);
        if (!Enum.IsDefined(similarity)) throw new ArgumentOutOfRangeException(nameof(similarity), similarity, "Not a defined similarity.");
        return Update(method, method.Values with { Similarity = similarity });
    }

    /// <summary>
    /// Reproduces Quantus 0.6.0's behaviour where it departs from the metric's paper (true, the default), or computes
    /// the sound version (false); each metric documents what changes.
    /// </summary>
    public static TMethod QuantusQuirks<TMethod>(this TMethod method, bool reproduce = true)
        where TMethod : ConfigurableMethod, IQuantusQuirksSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        return Update(method, method.Values with { QuantusQuirks = reproduce });
    }

    /// <summary>Perturbs every input element by uniform noise in [−<paramref name="radius"/>, <paramref name="radius"/>] (Quantus's <c>lower_bound</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="radius"/> is negative or not finite.</exception>
    public static TMethod Radius<TMethod>(this TMethod method, double radius)
        where TMethod : ConfigurableMethod, IRadiusSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        if (!(radius >= 0) || !double.IsFinite(radius))
            throw new ArgumentOutOfRangeException(nameof(radius), radius, "The perturbation radius must be finite and not negative.");
        return Update(method, method.Values with { Radius = radius });
    }
}

public static partial class MethodSettingExtensions
{
    /// <summary>Removes features most relevant first or least relevant first (Quantus's <c>order</c>: <c>"morf"</c>, <c>"lerf"</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined order.</exception>
    public static TMethod Order<TMethod>(this TMethod method, PerturbationOrder order)
        where TMethod : ConfigurableMethod, IOrderSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        if (!Enum.IsDefined(order)) throw new ArgumentOutOfRangeException(nameof(order), order, "Not a defined order.");
        return Update(method, method.Values with { Order = order });
    }

    /// <summary>Returns the area under each curve instead of the curve (Quantus's <c>return_auc_per_sample</c>).</summary>
    public static TMethod ReturnAuc<TMethod>(this TMethod method, bool auc = true)
        where TMethod : ConfigurableMethod, IReturnAucSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        return Update(method, method.Values with { ReturnAuc = auc });
    }
}

// Read-back of the evaluation metrics' shared settings.
public static partial class MethodSettingReadBack
{
    extension<TMethod>(MethodSettings<TMethod> settings) where TMethod : ConfigurableMethod, IAttributionPreprocessingSetting
    {
        /// <summary>How attributions are scaled first.</summary>
        public AttributionNormalization Normalization => settings.Values.Normalization;

        /// <summary>Whether the absolute value of the attributions is used.</summary>
        public bool Absolute => settings.Values.Absolute;
    }

    extension<TMethod>(MethodSettings<TMethod> settings) where TMethod : ConfigurableMethod, ISoftmaxSetting
    {
        /// <summary>Whether the model's softmax output is scored.</summary>
        public bool Softmax => settings.Values.Softmax;
    }

    extension<TMethod>(MethodSettings<TMethod> settings) where TMethod : ConfigurableMethod, ISubstrateSetting
    {
        /// <summary>What replaces removed features.</summary>
        public Substrate Substrate => settings.Values.Substrate;
    }

    extension<TMethod>(MethodSettings<TMethod> settings) where TMethod : ConfigurableMethod, IFeaturesPerStepSetting
    {
        /// <summary>Features removed per step.</summary>
        public int FeaturesPerStep => settings.Values.FeaturesPerStep;
    }

    extension<TMethod>(MethodSettings<TMethod> settings) where TMethod : ConfigurableMethod, IPatchSizeSetting
    {
        /// <summary>The patch sizes (one for a metric with a single patch size).</summary>
        public IReadOnlyList<int> PatchSizes => settings.Values.PatchSizes;
    }

    extension<TMethod>(MethodSettings<TMethod> settings) where TMethod : ConfigurableMethod, IThresholdSetting
    {
        /// <summary>The threshold at or below which values count as zero.</summary>
        public double Threshold => settings.Values.Threshold;
    }

    extension<TMethod>(MethodSettings<TMethod> settings) where TMethod : ConfigurableMethod, ISimilaritySetting
    {
        /// <summary>The similarity function.</summary>
        public Similarity Similarity => settings.Values.Similarity;
    }

    extension<TMethod>(MethodSettings<TMethod> settings) where TMethod : ConfigurableMethod, IQuantusQuirksSetting
    {
        /// <summary>Whether Quantus's behaviour is reproduced where it departs from the paper.</summary>
        public bool QuantusQuirks => settings.Values.QuantusQuirks;
    }

    extension<TMethod>(MethodSettings<TMethod> settings) where TMethod : ConfigurableMethod, IOrderSetting
    {
        /// <summary>Which features go first.</summary>
        public PerturbationOrder Order => settings.Values.Order;
    }

    extension<TMethod>(MethodSettings<TMethod> settings) where TMethod : ConfigurableMethod, IReturnAucSetting
    {
        /// <summary>Whether the area under each curve is returned instead of the curve.</summary>
        public bool ReturnAuc => settings.Values.ReturnAuc;
    }
}
