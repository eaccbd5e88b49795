using static TorchSharp.torch;

namespace FluentAttrib.Tests.Conformance;

/// <summary>
/// Translate a Quantus case's constructor and call arguments into the public fluent API. Defaults the case omits are
/// Quantus's (SCHEMA.md §4), which are also each metric's <c>Default</c>; the runners set them explicitly only where
/// the case gives them, so a wrong default in the library fails a case.
/// </summary>
public static class QuantusRunners
{
    private static TargetedExplainer Explain(QuantusCase c, ModelBuilder.Built m) => m.Explainer.For(Target.PerExample(c.Y));

    /// <summary>Applies the case's normalise / abs / softmax / perturb_baseline where it gives them.</summary>
    private static T Common<T>(T metric, QuantusCase c) where T : ConfigurableMethod
    {
        if (metric is IAttributionPreprocessingSetting)
        {
            if (c.Has("normalise") || c.Has("normalise_func") || c.Has("normalise_func_kwargs"))
                metric = (T)(object)Preprocess((dynamic)metric, c);
            if (c.Has("abs")) metric = MethodSettingExtensions.Absolute((dynamic)metric, c.Flag("abs", false));
        }
        if (metric is ISoftmaxSetting && c.Call.TryGetProperty("softmax", out var sm) && sm.ValueKind != System.Text.Json.JsonValueKind.Null)
            metric = MethodSettingExtensions.Softmax((dynamic)metric, sm.GetBoolean());
        if (metric is ISubstrateSetting && c.Has("perturb_baseline"))
            metric = MethodSettingExtensions.Substrate((dynamic)metric, c.Substrate("black"));
        if (metric is IFeaturesPerStepSetting && c.Has("features_in_step"))
            metric = MethodSettingExtensions.FeaturesPerStep((dynamic)metric, c.Int("features_in_step", 1));
        if (metric is ISimilaritySetting && c.Has("similarity_func"))
            metric = MethodSettingExtensions.Similarity((dynamic)metric, c.Similarity(Similarity.Pearson));
        if (metric is IThresholdSetting && c.Has("eps"))
            metric = MethodSettingExtensions.Threshold((dynamic)metric, c.Double("eps", 1e-5));
        if (metric is IPatchSizeSetting && c.Has("patch_size"))
            metric = MethodSettingExtensions.PatchSize((dynamic)metric, c.Int("patch_size", 8));
        return metric;
    }

    private static T Preprocess<T>(T metric, QuantusCase c) where T : ConfigurableMethod, IAttributionPreprocessingSetting =>
        metric.Normalization(c.Normalization(fallback: true));

    // --- Faithfulness ---

    [QuantusMetric("PixelFlipping")]
    public static Tensor PixelFlipping(QuantusCase c, ModelBuilder.Built m) =>
        Explain(c, m).Evaluate(Common(FluentAttrib.PixelFlipping.Default, c).ReturnAuc(c.Flag("return_auc_per_sample", false)), c.X, c.A);

    [QuantusMetric("RegionPerturbation")]
    public static Tensor RegionPerturbation(QuantusCase c, ModelBuilder.Built m)
    {
        var metric = Common(FluentAttrib.RegionPerturbation.Default, c);
        if (c.Has("regions_evaluation")) metric = metric.Regions(c.Int("regions_evaluation", 100));
        if (c.String("order") is { } order)
            metric = metric.Order(order == "lerf" ? PerturbationOrder.LeastRelevantFirst : PerturbationOrder.MostRelevantFirst);
        return Explain(c, m).Evaluate(metric, c.X, c.A);
    }

    [QuantusMetric("Selectivity")]
    public static Tensor Selectivity(QuantusCase c, ModelBuilder.Built m) =>
        Explain(c, m).Evaluate(Common(FluentAttrib.Selectivity.Default, c), c.X, c.A);

    [QuantusMetric("ROAD")]
    public static Tensor Road(QuantusCase c, ModelBuilder.Built m)
    {
        var metric = Common(FluentAttrib.Road.Default, c);
        if (c.Has("noise")) metric = metric.StdDev(c.Double("noise", 0.01));
        if (c.Has("percentages")) metric = metric.Percentages(c.Ctor("percentages").EnumerateArray().Select(e => e.GetDouble()).ToArray());
        return Explain(c, m).Evaluate(metric, c.X, c.A);
    }

    [QuantusMetric("Monotonicity")]
    public static Tensor Monotonicity(QuantusCase c, ModelBuilder.Built m) =>
        Explain(c, m).Evaluate(Common(FluentAttrib.Monotonicity.Default, c), c.X, c.A);

    [QuantusMetric("MonotonicityCorrelation")]
    public static Tensor MonotonicityCorrelation(QuantusCase c, ModelBuilder.Built m)
    {
        // nr_samples repeats identical draws for the deterministic substrates: nothing to set.
        var metric = Common(FluentAttrib.MonotonicityCorrelation.Default, c);
        return Explain(c, m).Evaluate(metric, c.X, c.A);
    }

    [QuantusMetric("FaithfulnessEstimate")]
    public static Tensor FaithfulnessEstimate(QuantusCase c, ModelBuilder.Built m) =>
        Explain(c, m).Evaluate(Common(FluentAttrib.FaithfulnessEstimate.Default, c), c.X, c.A);

    [QuantusMetric("FaithfulnessCorrelation")]
    public static Tensor FaithfulnessCorrelation(QuantusCase c, ModelBuilder.Built m)
    {
        var metric = Common(FluentAttrib.FaithfulnessCorrelation.Default, c).Seed(0);
        if (c.Has("nr_runs")) metric = metric.Samples(c.Int("nr_runs", 100));
        if (c.Has("subset_size")) metric = metric.SubsetSize(c.Int("subset_size", 224));
        return Explain(c, m).Evaluate(metric, c.X, c.A);
    }

    [QuantusMetric("IROF")]
    public static Tensor Irof(QuantusCase c, ModelBuilder.Built m)
    {
        var segments = c.Segments!;
        var metric = Common(FluentAttrib.Irof.Default, c).Mask(segments.unsqueeze(1));
        return Explain(c, m).Evaluate(metric, c.X, c.A);
    }

    [QuantusMetric("Infidelity")]
    public static Tensor Infidelity(QuantusCase c, ModelBuilder.Built m)
    {
        var metric = Common(PatchInfidelity.Default, c);
        if (c.Has("perturb_patch_sizes")) metric = metric.PatchSizes(c.Ctor("perturb_patch_sizes").EnumerateArray().Select(e => e.GetInt32()).ToArray());
        // n_perturb_samples repeats an identical deterministic computation in Quantus 0.6.0: nothing to set.
        if (c.Has("loss_func")) throw new NotSupportedException("loss_func");
        return Explain(c, m).Evaluate(metric, c.X, c.A);
    }

    // --- Complexity ---

    [QuantusMetric("Sparseness")]
    public static Tensor Sparseness(QuantusCase c, ModelBuilder.Built m) => Explain(c, m).Evaluate(Common(FluentAttrib.Sparseness.Default, c), c.X, c.A);

    [QuantusMetric("Complexity")]
    public static Tensor Complexity(QuantusCase c, ModelBuilder.Built m) => Explain(c, m).Evaluate(Common(FluentAttrib.Complexity.Default, c), c.X, c.A);

    [QuantusMetric("EffectiveComplexity")]
    public static Tensor EffectiveComplexity(QuantusCase c, ModelBuilder.Built m) => Explain(c, m).Evaluate(Common(FluentAttrib.EffectiveComplexity.Default, c), c.X, c.A);

    // --- Localisation ---

    [QuantusMetric("PointingGame")]
    public static Tensor PointingGame(QuantusCase c, ModelBuilder.Built m) => Explain(c, m).Evaluate(Common(FluentAttrib.PointingGame.Default, c), c.X, c.A, c.S!);

    [QuantusMetric("RelevanceMassAccuracy")]
    public static Tensor RelevanceMassAccuracy(QuantusCase c, ModelBuilder.Built m) => Explain(c, m).Evaluate(Common(FluentAttrib.RelevanceMassAccuracy.Default, c), c.X, c.A, c.S!);

    [QuantusMetric("RelevanceRankAccuracy")]
    public static Tensor RelevanceRankAccuracy(QuantusCase c, ModelBuilder.Built m) => Explain(c, m).Evaluate(Common(FluentAttrib.RelevanceRankAccuracy.Default, c), c.X, c.A, c.S!);

    [QuantusMetric("AUC")]
    public static Tensor Auc(QuantusCase c, ModelBuilder.Built m) => Explain(c, m).Evaluate(Common(RocAuc.Default, c), c.X, c.A, c.S!);

    [QuantusMetric("Focus")]
    public static Tensor Focus(QuantusCase c, ModelBuilder.Built m) => Explain(c, m).Evaluate(Common(FluentAttrib.Focus.Default, c), c.X, c.A, c.Custom!);

    [QuantusMetric("AttributionLocalisation")]
    public static Tensor AttributionLocalisation(QuantusCase c, ModelBuilder.Built m)
    {
        var metric = Common(FluentAttrib.AttributionLocalisation.Default, c)
            .WeightByMaskSize(c.Flag("weighted", false)).KeepPositive(c.Flag("positive_attributions", false));
        return Explain(c, m).Evaluate(metric, c.X, c.A, c.S!);
    }

    [QuantusMetric("TopKIntersection")]
    public static Tensor TopKIntersection(QuantusCase c, ModelBuilder.Built m)
    {
        var metric = Common(FluentAttrib.TopKIntersection.Default, c).ScaleByMaskSize(c.Flag("concept_influence", false));
        if (c.Has("k")) metric = metric.TopK(c.Int("k", 1000));
        return Explain(c, m).Evaluate(metric, c.X, c.A, c.S!);
    }

    // --- Axiomatic ---

    [QuantusMetric("Completeness")]
    public static Tensor Completeness(QuantusCase c, ModelBuilder.Built m)
    {
        if (c.Has("output_func")) throw new NotSupportedException("output_func");
        return Explain(c, m).Evaluate(Common(FluentAttrib.Completeness.Default, c), c.X, c.A);
    }

    [QuantusMetric("NonSensitivity")]
    public static Tensor NonSensitivity(QuantusCase c, ModelBuilder.Built m) => Explain(c, m).Evaluate(Common(FluentAttrib.NonSensitivity.Default, c), c.X, c.A);

    [QuantusMetric("InputInvariance")]
    public static Tensor InputInvariance(QuantusCase c, ModelBuilder.Built m)
    {
        var metric = Common(FluentAttrib.InputInvariance.Default, c);
        if (c.Has("input_shift")) metric = metric.InputShift(c.Double("input_shift", -1));
        return Explain(c, m).With(Method(c)).Evaluate(metric, c.X, c.A);
    }

    // --- Robustness and randomisation (explain again) ---

    /// <summary>quantus.explain's methods (SCHEMA §7.5): Captum's Saliency(abs=False) and InputXGradient.</summary>
    private static AttributionMethod Method(QuantusCase c) => c.ExplainMethod switch
    {
        "Gradient" => Saliency.Signed,
        "InputXGradient" => InputXGradient.Default,
        var name => throw new NotSupportedException("explain method " + name),
    };

    [QuantusMetric("MaxSensitivity")]
    public static Tensor MaxSensitivity(QuantusCase c, ModelBuilder.Built m) => Sensitivity(FluentAttrib.MaxSensitivity.Default, c, m);

    [QuantusMetric("AvgSensitivity")]
    public static Tensor AvgSensitivity(QuantusCase c, ModelBuilder.Built m) => Sensitivity(FluentAttrib.AvgSensitivity.Default, c, m);

    private static Tensor Sensitivity<T>(T metric, QuantusCase c, ModelBuilder.Built m) where T : ExplanationMetric, ISamplesSetting, IRadiusSetting, ISeedSetting
    {
        metric = Common(metric, c).Seed(0);
        if (c.Has("nr_samples")) metric = metric.Samples(c.Int("nr_samples", 200));
        if (c.Has("lower_bound")) metric = metric.Radius(c.Double("lower_bound", 0.2));
        return Explain(c, m).With(Method(c)).Evaluate(metric, c.X, c.A);
    }

    [QuantusMetric("RandomLogit")]
    public static Tensor RandomLogit(QuantusCase c, ModelBuilder.Built m)
    {
        var metric = Common(FluentAttrib.RandomLogit.Default, c);
        if (c.Has("num_classes")) metric = metric.Classes(c.Int("num_classes", 1000));
        if (c.Has("seed")) metric = metric.Seed(c.Int("seed", 42));
        return Explain(c, m).With(Method(c)).Evaluate(metric, c.X, c.A);
    }
}
