using System.Text.Json;

namespace FluentAttrib.Tests.Conformance;

public static partial class Runners
{
    /// <summary>The surrogate of a case's <c>interpretable_model</c> constructor argument (absent = Captum's default).</summary>
    private static SurrogateModel? SurrogateOf(CaseFile c)
    {
        if (!c.Constructor.TryGetProperty("interpretable_model", out var spec) || spec.ValueKind == JsonValueKind.Null) return null;
        string type = spec.GetProperty("type").GetString()!;
        bool intercept = !spec.TryGetProperty("fit_intercept", out var fi) || fi.GetBoolean();
        if (!intercept) throw new NotSupportedException("surrogates without intercept");
        return type switch
        {
            "LinearRegression" => SurrogateModel.LinearRegression,
            "Lasso" => SurrogateModel.Lasso(spec.TryGetProperty("alpha", out var a) ? a.GetDouble() : 1.0),
            _ => throw new NotSupportedException("interpretable model " + type),
        };
    }

    /// <summary>Lime settings from a case's kwargs (shared with NoiseTunnel).</summary>
    public static Lime LimeOf(CaseFile c)
    {
        var lime = FluentAttrib.Lime.Samples(c.Int("n_samples", 25)).ReturnInputShape(c.Flag("return_input_shape", true));
        if (SurrogateOf(c) is { } s) lime = lime.Surrogate(s);
        if (c.Baselines() is { } b) lime = lime.Baseline(b);
        if (c.FeatureMask() is { } m) lime = lime.Mask(m);
        if (c.Has("perturbations_per_eval")) lime = lime.PerturbationsPerPass(c.Kw("perturbations_per_eval").GetInt32());
        return lime;
    }

    /// <summary>KernelShap settings from a case's kwargs (shared with NoiseTunnel).</summary>
    public static KernelShap KernelShapOf(CaseFile c)
    {
        var ks = FluentAttrib.KernelShap.Samples(c.Int("n_samples", 25)).ReturnInputShape(c.Flag("return_input_shape", true));
        if (c.Baselines() is { } b) ks = ks.Baseline(b);
        if (c.FeatureMask() is { } m) ks = ks.Mask(m);
        if (c.Has("perturbations_per_eval")) ks = ks.PerturbationsPerPass(c.Kw("perturbations_per_eval").GetInt32());
        return ks;
    }

    [CaptumAlgorithm("Lime")]
    public static CaseResult Lime(CaseFile c, ModelBuilder.Built? m) =>
        CaseResult.From(m!.Explainer.For(c.Target()).With(LimeOf(c)).Attribute(c.Inputs()));

    [CaptumAlgorithm("KernelShap")]
    public static CaseResult KernelShap(CaseFile c, ModelBuilder.Built? m) =>
        CaseResult.From(m!.Explainer.For(c.Target()).With(KernelShapOf(c)).Attribute(c.Inputs()));
}
