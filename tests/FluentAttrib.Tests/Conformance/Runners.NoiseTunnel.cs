using System.Text.Json;

namespace FluentAttrib.Tests.Conformance;

public static partial class Runners
{
    /// <summary>
    /// The wrapped method of a NoiseTunnel case, or the explanation of a sensitivity_max case: its algorithm and
    /// constructor come from <paramref name="spec"/> (<c>{"algorithm", "constructor"}</c>), its settings from the
    /// case's attribute kwargs. Every method a NoiseTunnel can wrap is covered; an algorithm without a mapping fails.
    /// </summary>
    public static AttributionMethod WrappedMethodOf(CaseFile c, JsonElement spec)
    {
        string algorithm = spec.GetProperty("algorithm").GetString()!;
        var ctor = spec.TryGetProperty("constructor", out var ct) ? ct : default;
        bool? multiply = ctor.ValueKind == JsonValueKind.Object && ctor.TryGetProperty("multiply_by_inputs", out var m) && m.ValueKind != JsonValueKind.Null
            ? m.GetBoolean() : null;
        switch (algorithm)
        {
            case "Saliency":
                return FluentAttrib.Saliency.Default.Absolute(c.Flag("abs", true));
            case "InputXGradient":
                return FluentAttrib.InputXGradient.Default;
            case "IntegratedGradients":
                var ig = IntegratedGradientsOf(c);
                return multiply is { } mul ? ig.MultiplyByInputs(mul) : ig;
            case "DeepLift":
                var dl = DeepLiftOf(c);
                return multiply is { } dlMul ? dl.MultiplyByInputs(dlMul) : dl;
            case "Lime":
                return LimeOf(c);
            case "KernelShap":
                return KernelShapOf(c);
            case "GradientShap":
                var gs = GradientShapOf(c);
                return multiply is { } gsMul ? gs.MultiplyByInputs(gsMul) : gs;
            case "DeepLiftShap":
                var dls = DeepLiftShapOf(c);
                return multiply is { } dlsMul ? dls.MultiplyByInputs(dlsMul) : dls;
            case "GuidedBackprop":
                return FluentAttrib.GuidedBackprop.Default;
            case "Deconvolution":
                return FluentAttrib.Deconvolution.Default;
            case "LRP":
                return LrpOf(c);
            case "Occlusion":
                return OcclusionOf(c);
            case "FeatureAblation":
                return FeatureAblationOf(c);
            case "FeaturePermutation":
                return FeaturePermutationOf(c);
            case "ShapleyValues":
                return ShapleyValuesOf(c);
            case "ShapleyValueSampling":
                return ShapleyValueSamplingOf(c);
            default:
                throw new Xunit.Sdk.XunitException($"The conformance runner has no mapping for the wrapped algorithm {algorithm}: add one.");
        }
    }

    [CaptumAlgorithm("NoiseTunnel")]
    public static CaseResult NoiseTunnel(CaseFile c, ModelBuilder.Built? m)
    {
        var inner = WrappedMethodOf(c, c.Constructor.GetProperty("attribution_method"));
        string type = c.Has("nt_type") ? c.Kw("nt_type").GetString()! : "smoothgrad";
        var nt = type switch
        {
            "smoothgrad" => FluentAttrib.NoiseTunnel.SmoothGrad(inner),
            "smoothgrad_sq" => FluentAttrib.NoiseTunnel.SmoothGradSquared(inner),
            "vargrad" => FluentAttrib.NoiseTunnel.VarGrad(inner),
            _ => throw new NotSupportedException("nt_type " + type),
        };
        nt = nt.Samples(c.Int("nt_samples", 5));
        if (c.Has("nt_samples_batch_size")) nt = nt.InternalBatchSize(c.Kw("nt_samples_batch_size").GetInt32());
        if (c.Has("stdevs"))
        {
            var s = c.Kw("stdevs");
            nt = CaseFile.IsTuple(s)
                ? nt.StdDevs(s.GetProperty("tuple").EnumerateArray().Select(x => x.GetDouble()).ToArray())
                : nt.StdDev(s.GetDouble());
        }
        if (c.Flag("draw_baseline_from_distrib")) nt = nt.DrawBaselineFromDistribution();
        return CaseResult.From(m!.Explainer.For(c.Target()).With(nt).Attribute(c.Inputs()));
    }
}
