using System.Text.Json;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Conformance;

public static partial class Runners
{
    /// <summary>The case's layer step: <c>At(path)</c>, or <c>AtInputOf(path)</c> for attribute_to_layer_input.</summary>
    private static TargetedLayerExplainer LayerOf(CaseFile c, ModelBuilder.Built m, string inputFlag = "attribute_to_layer_input")
    {
        Layer layer = c.Constructor.GetProperty("layer").GetString()!;
        var targeted = m.Explainer.For(c.Target());
        return c.Flag(inputFlag) ? targeted.AtInputOf(layer) : targeted.At(layer);
    }

    private static Quadrature Rule(CaseFile c) => c.Quadrature() ?? Quadrature.GaussLegendre;

    [CaptumAlgorithm("LayerActivation")]
    public static CaseResult LayerActivation(CaseFile c, ModelBuilder.Built? m) =>
        CaseResult.From(LayerOf(c, m!).With(FluentAttrib.LayerActivation.Default).Attribute(c.Inputs()));

    [CaptumAlgorithm("LayerGradientXActivation")]
    public static CaseResult LayerGradientXActivation(CaseFile c, ModelBuilder.Built? m) =>
        CaseResult.From(LayerOf(c, m!)
            .With(FluentAttrib.LayerGradientXActivation.Default.MultiplyByInputs(c.CtorFlag("multiply_by_inputs", true)))
            .Attribute(c.Inputs()));

    [CaptumAlgorithm("LayerGradCam")]
    public static CaseResult LayerGradCam(CaseFile c, ModelBuilder.Built? m) =>
        CaseResult.From(LayerOf(c, m!)
            .With(FluentAttrib.LayerGradCam.Default.Relu(c.Flag("relu_attributions")).KeepChannels(!c.Flag("attr_dim_summation", true)))
            .Attribute(c.Inputs()));

    [CaptumAlgorithm("InternalInfluence")]
    public static CaseResult InternalInfluence(CaseFile c, ModelBuilder.Built? m)
    {
        var ii = FluentAttrib.InternalInfluence.Steps(c.Int("n_steps", 50)).Quadrature(Rule(c));
        if (c.Baselines() is { } b) ii = ii.Baseline(b);
        if (c.Has("internal_batch_size")) ii = ii.InternalBatchSize(c.Kw("internal_batch_size").GetInt32());
        return CaseResult.From(LayerOf(c, m!).With(ii).Attribute(c.Inputs()));
    }

    [CaptumAlgorithm("LayerConductance")]
    public static CaseResult LayerConductance(CaseFile c, ModelBuilder.Built? m)
    {
        var lc = FluentAttrib.LayerConductance.Steps(c.Int("n_steps", 50)).Quadrature(Rule(c)).ReturnDelta(c.Flag("return_convergence_delta"));
        if (c.Baselines() is { } b) lc = lc.Baseline(b);
        if (c.Has("internal_batch_size")) lc = lc.InternalBatchSize(c.Kw("internal_batch_size").GetInt32());
        return CaseResult.From(LayerOf(c, m!).With(lc).Attribute(c.Inputs()));
    }

    [CaptumAlgorithm("LayerIntegratedGradients")]
    public static CaseResult LayerIntegratedGradients(CaseFile c, ModelBuilder.Built? m)
    {
        var lig = FluentAttrib.LayerIntegratedGradients.Default.Quadrature(Rule(c)).Steps(c.Int("n_steps", 50))
            .MultiplyByInputs(c.CtorFlag("multiply_by_inputs", true)).ReturnDelta(c.Flag("return_convergence_delta"));
        if (c.Baselines() is { } b) lig = lig.Baseline(b);
        if (c.Has("internal_batch_size")) lig = lig.InternalBatchSize(c.Kw("internal_batch_size").GetInt32());
        return CaseResult.From(LayerOf(c, m!).With(lig).Attribute(c.Inputs()));
    }

    [CaptumAlgorithm("LayerFeatureAblation")]
    public static CaseResult LayerFeatureAblation(CaseFile c, ModelBuilder.Built? m)
    {
        var lfa = FluentAttrib.LayerFeatureAblation.Default;
        if (c.Has("layer_mask")) lfa = lfa.Mask(CaseFile.TensorOf(c.Kw("layer_mask")));
        if (c.Has("layer_baselines")) lfa = lfa.Baseline(CaseFile.BaselinesOf(c.Kw("layer_baselines")));
        lfa = lfa.PerturbationsPerPass(c.Int("perturbations_per_eval", 1));
        return CaseResult.From(LayerOf(c, m!).With(lfa).Attribute(c.Inputs()));
    }

    [CaptumAlgorithm("LayerFeaturePermutation")]
    public static CaseResult LayerFeaturePermutation(CaseFile c, ModelBuilder.Built? m)
    {
        var lfp = FluentAttrib.LayerFeaturePermutation.Default;
        if (c.Has("layer_mask")) lfp = lfp.Mask(CaseFile.TensorOf(c.Kw("layer_mask")));
        lfp = lfp.PerturbationsPerPass(c.Int("perturbations_per_eval", 1));
        return CaseResult.From(LayerOf(c, m!).With(lfp).Attribute(c.Inputs()));
    }

    [CaptumAlgorithm("LayerAttribution.interpolate")]
    public static CaseResult Interpolate(CaseFile c, ModelBuilder.Built? m)
    {
        var dims = c.Kw("interpolate_dims");
        long[] size = dims.ValueKind == JsonValueKind.Number
            ? [dims.GetInt64()]
            : dims.GetProperty("tuple").EnumerateArray().Select(x => x.GetInt64()).ToArray();
        var mode = (c.Has("interpolate_mode") ? c.Kw("interpolate_mode").GetString() : "nearest") switch
        {
            "nearest" => InterpolationMode.Nearest,
            "linear" => InterpolationMode.Linear,
            "bilinear" => InterpolationMode.Bilinear,
            "bicubic" => InterpolationMode.Bicubic,
            "trilinear" => InterpolationMode.Trilinear,
            "area" => InterpolationMode.Area,
            "nearest-exact" => InterpolationMode.NearestExact,
            var other => throw new NotSupportedException("interpolate_mode " + other),
        };
        return new CaseResult([LayerAttribution.Interpolate(c.Inputs()[0], size, mode)]);
    }
}
