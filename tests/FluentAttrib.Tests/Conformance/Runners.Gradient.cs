namespace FluentAttrib.Tests.Conformance;

public static partial class Runners
{
    [CaptumAlgorithm("Saliency")]
    public static CaseResult Saliency(CaseFile c, ModelBuilder.Built? m) =>
        CaseResult.From(m!.Explainer.For(c.Target()).With(FluentAttrib.Saliency.Default.Absolute(c.Flag("abs", true))).Attribute(c.Inputs()));

    [CaptumAlgorithm("InputXGradient")]
    public static CaseResult InputXGradient(CaseFile c, ModelBuilder.Built? m) =>
        CaseResult.From(m!.Explainer.For(c.Target()).With(FluentAttrib.InputXGradient.Default).Attribute(c.Inputs()));

    /// <summary>IntegratedGradients settings from a case's kwargs (shared with NoiseTunnel and the metrics).</summary>
    public static IntegratedGradients IntegratedGradientsOf(CaseFile c)
    {
        var ig = FluentAttrib.IntegratedGradients.Default.MultiplyByInputs(c.CtorFlag("multiply_by_inputs", true));
        if (c.Quadrature() is { } q) ig = ig.Quadrature(q);
        ig = ig.Steps(c.Int("n_steps", 50));
        if (c.Baselines() is { } b) ig = ig.Baseline(b);
        if (c.Has("internal_batch_size")) ig = ig.InternalBatchSize(c.Kw("internal_batch_size").GetInt32());
        return ig.ReturnDelta(c.Flag("return_convergence_delta"));
    }

    [CaptumAlgorithm("IntegratedGradients")]
    public static CaseResult IntegratedGradients(CaseFile c, ModelBuilder.Built? m) =>
        CaseResult.From(m!.Explainer.For(c.Target()).With(IntegratedGradientsOf(c)).Attribute(c.Inputs()));
}
