using System.Text.Json;

namespace FluentAttrib.Tests.Conformance;

public static partial class Runners
{
    /// <summary>
    /// The neuron step of a case: layer path, neuron_selector (int or tuple of ints and slices), input flag; without
    /// its target (only a method that explains a target through the neuron takes one: <see cref="Targeted"/>).
    /// </summary>
    private static NeuronExplainer NeuronOf(CaseFile c, ModelBuilder.Built m)
    {
        Layer layer = c.Constructor.GetProperty("layer").GetString()!;
        var step = c.Flag("attribute_to_neuron_input") ? m.Explainer.AtInputOf(layer) : m.Explainer.At(layer);
        var selector = c.Kw("neuron_selector");
        NeuronAxis[] axes = selector.ValueKind == JsonValueKind.Number
            ? [selector.GetInt64()]
            : selector.GetProperty("tuple").EnumerateArray().Select(AxisOf).ToArray();
        return step.Neuron(axes);
    }

    /// <summary>The run of a method that explains the case's target through the neuron (the model's output without one).</summary>
    private static NeuronAttributionRun Targeted(CaseFile c, ModelBuilder.Built m, TargetedNeuronAttributionMethod method)
    {
        var neuron = NeuronOf(c, m);
        return c.Has("target") ? neuron.For(c.Target()).With(method) : neuron.With(method);
    }

    private static NeuronAxis AxisOf(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Number) return e.GetInt64();
        var s = e.GetProperty("slice").EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Null ? (long?)null : x.GetInt64()).ToArray();
        return NeuronAxis.Slice(s[0], s[1], s[2] ?? 1);
    }

    [CaptumAlgorithm("NeuronGradient")]
    public static CaseResult NeuronGradient(CaseFile c, ModelBuilder.Built? m) =>
        CaseResult.From(NeuronOf(c, m!).With(FluentAttrib.NeuronGradient.Default).Attribute(c.Inputs()));

    [CaptumAlgorithm("NeuronIntegratedGradients")]
    public static CaseResult NeuronIntegratedGradients(CaseFile c, ModelBuilder.Built? m)
    {
        var nig = FluentAttrib.NeuronIntegratedGradients.Default.Quadrature(c.Quadrature() ?? Quadrature.GaussLegendre)
            .Steps(c.Int("n_steps", 50)).MultiplyByInputs(c.CtorFlag("multiply_by_inputs", true));
        if (c.Baselines() is { } b) nig = nig.Baseline(b);
        if (c.Has("internal_batch_size")) nig = nig.InternalBatchSize(c.Kw("internal_batch_size").GetInt32());
        return CaseResult.From(NeuronOf(c, m!).With(nig).Attribute(c.Inputs()));
    }

    [CaptumAlgorithm("NeuronConductance")]
    public static CaseResult NeuronConductance(CaseFile c, ModelBuilder.Built? m)
    {
        var nc = FluentAttrib.NeuronConductance.Default.Quadrature(c.Quadrature() ?? Quadrature.RiemannTrapezoid)
            .Steps(c.Int("n_steps", 50)).MultiplyByInputs(c.CtorFlag("multiply_by_inputs", true));
        if (c.Baselines() is { } b) nc = nc.Baseline(b);
        if (c.Has("internal_batch_size")) nc = nc.InternalBatchSize(c.Kw("internal_batch_size").GetInt32());
        return CaseResult.From(Targeted(c, m!, nc).Attribute(c.Inputs()));
    }

    [CaptumAlgorithm("NeuronFeatureAblation")]
    public static CaseResult NeuronFeatureAblation(CaseFile c, ModelBuilder.Built? m)
    {
        var nfa = FluentAttrib.NeuronFeatureAblation.Default.PerturbationsPerPass(c.Int("perturbations_per_eval", 1));
        if (c.FeatureMask() is { } mask) nfa = nfa.Mask(mask);
        if (c.Baselines() is { } b) nfa = nfa.Baseline(b);
        return CaseResult.From(NeuronOf(c, m!).With(nfa).Attribute(c.Inputs()));
    }
}
