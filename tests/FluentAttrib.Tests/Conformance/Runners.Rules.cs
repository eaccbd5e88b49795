using System.Text.Json;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Conformance;

public static partial class Runners
{
    /// <summary>DeepLift settings from a case's constructor and kwargs (shared with NoiseTunnel).</summary>
    public static DeepLift DeepLiftOf(CaseFile c)
    {
        var dl = FluentAttrib.DeepLift.Default.MultiplyByInputs(c.CtorFlag("multiply_by_inputs", true));
        if (c.Baselines() is { } b) dl = dl.Baseline(b);
        return dl.ReturnDelta(c.Flag("return_convergence_delta"));
    }

    [CaptumAlgorithm("DeepLift")]
    public static CaseResult DeepLift(CaseFile c, ModelBuilder.Built? m) =>
        CaseResult.From(m!.Explainer.For(c.Target()).With(DeepLiftOf(c)).Attribute(c.Inputs()));

    /// <summary>A baseline distribution kwarg: a tensor, or a tuple of tensors (one per input).</summary>
    private static Tensor[] DistributionOf(JsonElement e) =>
        CaseFile.IsTuple(e) ? e.GetProperty("tuple").EnumerateArray().Select(CaseFile.TensorOf).ToArray() : [CaseFile.TensorOf(e)];

    /// <summary>DeepLiftShap settings from a case (baselines from the attribute kwargs).</summary>
    public static FluentAttrib.DeepLiftShap DeepLiftShapOf(CaseFile c) =>
        FluentAttrib.DeepLiftShap.BaselineDistribution(DistributionOf(c.Kw("baselines")))
            .MultiplyByInputs(c.CtorFlag("multiply_by_inputs", true))
            .ReturnDelta(c.Flag("return_convergence_delta"));

    [CaptumAlgorithm("DeepLiftShap")]
    public static CaseResult DeepLiftShap(CaseFile c, ModelBuilder.Built? m) =>
        CaseResult.From(m!.Explainer.For(c.Target()).With(DeepLiftShapOf(c)).Attribute(c.Inputs()));

    [CaptumAlgorithm("GradientShap")]
    public static CaseResult GradientShap(CaseFile c, ModelBuilder.Built? m) =>
        CaseResult.From(m!.Explainer.For(c.Target()).With(GradientShapOf(c)).Attribute(c.Inputs()));

    /// <summary>GradientShap settings from a case (baselines, samples, noise and seed from the case).</summary>
    public static FluentAttrib.GradientShap GradientShapOf(CaseFile c)
    {
        var gs = FluentAttrib.GradientShap.Samples(c.Int("n_samples", 5))
            .BaselineDistribution(DistributionOf(c.Kw("baselines")))
            .MultiplyByInputs(c.CtorFlag("multiply_by_inputs", true))
            .ReturnDelta(c.Flag("return_convergence_delta"))
            .Seed(c.Root.GetProperty("generator").GetProperty("seed_before_attribute").GetInt64());
        if (c.Has("stdevs"))
        {
            var s = c.Kw("stdevs");
            gs = CaseFile.IsTuple(s) ? gs.StdDevs(s.GetProperty("tuple").EnumerateArray().Select(x => x.GetDouble()).ToArray()) : gs.StdDev(s.GetDouble());
        }
        return gs;
    }

    [CaptumAlgorithm("GuidedBackprop")]
    public static CaseResult GuidedBackprop(CaseFile c, ModelBuilder.Built? m) =>
        CaseResult.From(m!.Explainer.For(c.Target()).With(FluentAttrib.GuidedBackprop.Default).Attribute(c.Inputs()));

    [CaptumAlgorithm("Deconvolution")]
    public static CaseResult Deconvolution(CaseFile c, ModelBuilder.Built? m) =>
        CaseResult.From(m!.Explainer.For(c.Target()).With(FluentAttrib.Deconvolution.Default).Attribute(c.Inputs()));
}

public static partial class Runners
{
    /// <summary>LRP settings: the case's constructor layer_rules become per-layer overrides.</summary>
    public static FluentAttrib.Lrp LrpOf(CaseFile c)
    {
        var lrp = FluentAttrib.Lrp.Default.ReturnDelta(c.Flag("return_convergence_delta"));
        if (c.Constructor.TryGetProperty("layer_rules", out var rules) && rules.ValueKind == JsonValueKind.Object)
            foreach (var r in rules.EnumerateObject())
                lrp = lrp.Rule(r.Name, LrpRuleOf(r.Value));
        return lrp;
    }

    private static LrpRule LrpRuleOf(JsonElement spec) => spec.GetProperty("rule").GetString() switch
    {
        "EpsilonRule" => LrpRule.Epsilon(spec.TryGetProperty("epsilon", out var e) ? e.GetDouble() : Defaults.LrpEpsilon),
        "GammaRule" => LrpRule.Gamma(spec.TryGetProperty("gamma", out var g) ? g.GetDouble() : Defaults.LrpGamma,
            spec.TryGetProperty("set_bias_to_zero", out var z) && z.GetBoolean()),
        "Alpha1_Beta0_Rule" => LrpRule.Alpha1Beta0(spec.TryGetProperty("set_bias_to_zero", out var z2) && z2.GetBoolean()),
        "IdentityRule" => LrpRule.Identity,
        var other => throw new NotSupportedException("LRP rule " + other),
    };

    [CaptumAlgorithm("LRP")]
    public static CaseResult LayerwiseRelevance(CaseFile c, ModelBuilder.Built? m) =>
        CaseResult.From(m!.Explainer.For(c.Target()).With(LrpOf(c)).Attribute(c.Inputs()));
}

public static partial class Runners
{
    [CaptumAlgorithm("LayerDeepLift")]
    public static CaseResult LayerDeepLift(CaseFile c, ModelBuilder.Built? m)
    {
        var ldl = FluentAttrib.LayerDeepLift.Default.MultiplyByInputs(c.CtorFlag("multiply_by_inputs", true)).ReturnDelta(c.Flag("return_convergence_delta"));
        if (c.Baselines() is { } b) ldl = ldl.Baseline(b);
        return CaseResult.From(LayerOf(c, m!).With(ldl).Attribute(c.Inputs()));
    }

    [CaptumAlgorithm("LayerDeepLiftShap")]
    public static CaseResult LayerDeepLiftShap(CaseFile c, ModelBuilder.Built? m)
    {
        var ldls = FluentAttrib.LayerDeepLiftShap.BaselineDistribution(DistributionOf(c.Kw("baselines")))
            .MultiplyByInputs(c.CtorFlag("multiply_by_inputs", true)).ReturnDelta(c.Flag("return_convergence_delta"));
        return CaseResult.From(LayerOf(c, m!).With(ldls).Attribute(c.Inputs()));
    }

    [CaptumAlgorithm("LayerLRP")]
    public static CaseResult LayerLrp(CaseFile c, ModelBuilder.Built? m)
    {
        var llrp = FluentAttrib.LayerLrp.Default.ReturnDelta(c.Flag("return_convergence_delta"));
        if (c.Constructor.TryGetProperty("layer_rules", out var rules) && rules.ValueKind == JsonValueKind.Object)
            foreach (var r in rules.EnumerateObject())
                llrp = llrp.Rule(r.Name, LrpRuleOf(r.Value));
        return CaseResult.From(LayerOf(c, m!).With(llrp).Attribute(c.Inputs()));
    }

    [CaptumAlgorithm("NeuronDeepLift")]
    public static CaseResult NeuronDeepLift(CaseFile c, ModelBuilder.Built? m)
    {
        var ndl = FluentAttrib.NeuronDeepLift.Default.MultiplyByInputs(c.CtorFlag("multiply_by_inputs", true));
        if (c.Baselines() is { } b) ndl = ndl.Baseline(b);
        return CaseResult.From(NeuronOf(c, m!).With(ndl).Attribute(c.Inputs()));
    }

    [CaptumAlgorithm("NeuronDeepLiftShap")]
    public static CaseResult NeuronDeepLiftShap(CaseFile c, ModelBuilder.Built? m) =>
        CaseResult.From(NeuronOf(c, m!).With(FluentAttrib.NeuronDeepLiftShap.BaselineDistribution(DistributionOf(c.Kw("baselines")))
            .MultiplyByInputs(c.CtorFlag("multiply_by_inputs", true))).Attribute(c.Inputs()));

    [CaptumAlgorithm("NeuronGuidedBackprop")]
    public static CaseResult NeuronGuidedBackprop(CaseFile c, ModelBuilder.Built? m) =>
        CaseResult.From(NeuronOf(c, m!).With(FluentAttrib.NeuronGuidedBackprop.Default).Attribute(c.Inputs()));

    [CaptumAlgorithm("NeuronDeconvolution")]
    public static CaseResult NeuronDeconvolution(CaseFile c, ModelBuilder.Built? m) =>
        CaseResult.From(NeuronOf(c, m!).With(FluentAttrib.NeuronDeconvolution.Default).Attribute(c.Inputs()));
}

public static partial class Runners
{
    [CaptumAlgorithm("GuidedGradCam")]
    public static CaseResult GuidedGradCam(CaseFile c, ModelBuilder.Built? m)
    {
        var ggc = FluentAttrib.GuidedGradCam.At(c.Constructor.GetProperty("layer").GetString()!).AtLayerInput(c.Flag("attribute_to_layer_input"));
        if (c.Has("interpolate_mode"))
            ggc = ggc.Interpolation(c.Kw("interpolate_mode").GetString() switch
            {
                "nearest" => InterpolationMode.Nearest,
                "linear" => InterpolationMode.Linear,
                "bilinear" => InterpolationMode.Bilinear,
                "bicubic" => InterpolationMode.Bicubic,
                "trilinear" => InterpolationMode.Trilinear,
                "area" => InterpolationMode.Area,
                var other => throw new NotSupportedException("interpolate_mode " + other),
            });
        return CaseResult.From(m!.Explainer.For(c.Target()).With(ggc).Attribute(c.Inputs()));
    }
}
