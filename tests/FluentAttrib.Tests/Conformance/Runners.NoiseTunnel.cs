using System.Text.Json;

namespace FluentAttrib.Tests.Conformance;

public static partial class Runners
{
    /// <summary>
    /// The wrapped method of a NoiseTunnel case, or the explanation of a sensitivity_max case: its algorithm and
    /// constructor come from <paramref name="spec"/> (<c>{"algorithm", "constructor"}</c>), its settings from the
    /// case's attribute kwargs. Skips the test when the algorithm does not exist yet.
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
            default:
                Skip.If(true, $"{algorithm} is not implemented yet");
                throw new InvalidOperationException("unreachable");
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
