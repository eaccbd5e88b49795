using System.Text.Json;

namespace FluentAttrib.Tests.Conformance;

public static partial class Runners
{
    /// <summary>A Python int or tuple of ints as a long[].</summary>
    private static long[] Longs(JsonElement e) =>
        e.ValueKind == JsonValueKind.Number ? [e.GetInt64()] : e.GetProperty("tuple").EnumerateArray().Select(x => x.GetInt64()).ToArray();

    /// <summary>Occlusion settings from sliding_window_shapes, strides, baselines, perturbations_per_eval.</summary>
    public static Occlusion OcclusionOf(CaseFile c)
    {
        var windows = c.Kw("sliding_window_shapes").GetProperty("tuple").EnumerateArray().ToArray();
        bool perInput = windows.Length > 0 && CaseFile.IsTuple(windows[0]);
        var occlusion = perInput
            ? FluentAttrib.Occlusion.Windows(windows.Select(Longs).ToArray())
            : FluentAttrib.Occlusion.Window(windows.Select(x => x.GetInt64()).ToArray());
        if (c.Has("strides"))
        {
            var s = c.Kw("strides");
            if (s.ValueKind == JsonValueKind.Number) occlusion = occlusion.Stride(s.GetInt64());
            else if (perInput) occlusion = occlusion.Strides(s.GetProperty("tuple").EnumerateArray().Select(Longs).ToArray());
            else occlusion = occlusion.Stride(Longs(s));
        }
        if (c.Baselines() is { } b) occlusion = occlusion.Baseline(b);
        if (c.Has("perturbations_per_eval")) occlusion = occlusion.PerturbationsPerPass(c.Kw("perturbations_per_eval").GetInt32());
        return occlusion;
    }

    [CaptumAlgorithm("Occlusion")]
    public static CaseResult Occlusion(CaseFile c, ModelBuilder.Built? m) =>
        CaseResult.From(m!.Explainer.For(c.Target()).With(OcclusionOf(c)).Attribute(c.Inputs()));

    public static FeatureAblation FeatureAblationOf(CaseFile c)
    {
        var fa = FluentAttrib.FeatureAblation.Default;
        if (c.FeatureMask() is { } mask) fa = fa.Mask(mask);
        if (c.Baselines() is { } b) fa = fa.Baseline(b);
        if (c.Has("perturbations_per_eval")) fa = fa.PerturbationsPerPass(c.Kw("perturbations_per_eval").GetInt32());
        return fa;
    }

    [CaptumAlgorithm("FeatureAblation")]
    public static CaseResult FeatureAblation(CaseFile c, ModelBuilder.Built? m) =>
        CaseResult.From(m!.Explainer.For(c.Target()).With(FeatureAblationOf(c)).Attribute(c.Inputs()));

    public static FeaturePermutation FeaturePermutationOf(CaseFile c)
    {
        var fp = FluentAttrib.FeaturePermutation.Default;
        if (c.FeatureMask() is { } mask) fp = fp.Mask(mask);
        if (c.Has("perturbations_per_eval")) fp = fp.PerturbationsPerPass(c.Kw("perturbations_per_eval").GetInt32());
        return fp;
    }

    [CaptumAlgorithm("FeaturePermutation")]
    public static CaseResult FeaturePermutation(CaseFile c, ModelBuilder.Built? m) =>
        CaseResult.From(m!.Explainer.For(c.Target()).With(FeaturePermutationOf(c)).Attribute(c.Inputs()));

    public static ShapleyValues ShapleyValuesOf(CaseFile c)
    {
        var sv = FluentAttrib.ShapleyValues.Default;
        if (c.FeatureMask() is { } mask) sv = sv.Mask(mask);
        if (c.Baselines() is { } b) sv = sv.Baseline(b);
        if (c.Has("perturbations_per_eval")) sv = sv.PerturbationsPerPass(c.Kw("perturbations_per_eval").GetInt32());
        return sv;
    }

    [CaptumAlgorithm("ShapleyValues")]
    public static CaseResult ShapleyValues(CaseFile c, ModelBuilder.Built? m) =>
        CaseResult.From(m!.Explainer.For(c.Target()).With(ShapleyValuesOf(c)).Attribute(c.Inputs()));

    public static ShapleyValueSampling ShapleyValueSamplingOf(CaseFile c)
    {
        var svs = FluentAttrib.ShapleyValueSampling.Samples(c.Int("n_samples", 25));
        if (c.FeatureMask() is { } mask) svs = svs.Mask(mask);
        if (c.Baselines() is { } b) svs = svs.Baseline(b);
        if (c.Has("perturbations_per_eval")) svs = svs.PerturbationsPerPass(c.Kw("perturbations_per_eval").GetInt32());
        return svs;
    }

    [CaptumAlgorithm("ShapleyValueSampling")]
    public static CaseResult ShapleyValueSampling(CaseFile c, ModelBuilder.Built? m) =>
        CaseResult.From(m!.Explainer.For(c.Target()).With(ShapleyValueSamplingOf(c)).Attribute(c.Inputs()));
}
