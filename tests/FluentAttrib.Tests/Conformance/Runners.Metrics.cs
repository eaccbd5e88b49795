using System.Text.Json;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Conformance;

public static partial class Runners
{
    [CaptumAlgorithm("infidelity")]
    public static CaseResult Infidelity(CaseFile c, ModelBuilder.Built? m)
    {
        var inputs = c.Inputs();
        var attributions = CaseFile.TensorsOf(c.Kw("attributions"));
        var spec = c.Kw("perturb_func");
        int samples = c.Int("n_perturb_samples", 10);
        FluentAttrib.Infidelity metric = spec.GetProperty("type").GetString() switch
        {
            "fixed" => FixedInfidelityPerturbation(CaseFile.TensorsOf(spec.GetProperty("perturbations")), inputs.Length)
                .InternalBatchSize(checked((int)inputs[0].shape[0] * samples)), // the fixed tensors cover all samples at once
            "gaussian" => FluentAttrib.Infidelity.GaussianNoise(spec.GetProperty("std").GetDouble()),
            var t => throw new NotSupportedException("perturb_func " + t),
        };
        metric = metric.Samples(samples).Normalize(c.Flag("normalize"));
        if (c.Has("max_examples_per_batch")) metric = metric.InternalBatchSize(c.Kw("max_examples_per_batch").GetInt32());
        return new CaseResult([m!.Explainer.For(c.Target()).Infidelity(metric, inputs, attributions)]);
    }

    /// <summary>SCHEMA §4: <c>f(x) -> (P, x - P)</c>.</summary>
    private static FluentAttrib.Infidelity FixedInfidelityPerturbation(Tensor[] p, int inputCount) =>
        inputCount == 1
            ? FluentAttrib.Infidelity.Perturbation(x => (p[0].to(x.dtype), x - p[0].to(x.dtype)))
            : FluentAttrib.Infidelity.MultiInputPerturbation(xs => (
                xs.Select((x, i) => p[i].to(x.dtype)).ToArray(),
                xs.Select((x, i) => x - p[i].to(x.dtype)).ToArray()));

    [CaptumAlgorithm("sensitivity_max")]
    public static CaseResult SensitivityMax(CaseFile c, ModelBuilder.Built? m)
    {
        var inputs = c.Inputs();
        var method = WrappedMethodOf(c, c.Constructor.GetProperty("explanation_func"));
        var spec = c.Kw("perturb_func");
        int samples = c.Int("n_perturb_samples", 10);
        var metric = FluentAttrib.SensitivityMax.Samples(samples);
        switch (spec.GetProperty("type").GetString())
        {
            case "fixed":
                var p = CaseFile.TensorsOf(spec.GetProperty("perturbations"));
                metric = (inputs.Length == 1
                        ? metric.Perturbation(x => x + p[0].to(x.dtype))
                        : metric.MultiInputPerturbation(xs => xs.Select((x, i) => x + p[i].to(x.dtype)).ToArray()))
                    .InternalBatchSize(checked((int)inputs[0].shape[0] * samples));
                break;
            case "captum_default":
                metric = metric.Radius(c.Has("perturb_radius") ? c.Kw("perturb_radius").GetDouble() : 0.02);
                break;
            case var t:
                throw new NotSupportedException("perturb_func " + t);
        }
        if (c.Has("max_examples_per_batch")) metric = metric.InternalBatchSize(c.Kw("max_examples_per_batch").GetInt32());
        return new CaseResult([m!.Explainer.For(c.Target()).With(method).SensitivityMax(metric, inputs)]);
    }
}
