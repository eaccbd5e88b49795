using FluentAttrib.Core;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// The root of the evaluation metrics (Quantus's metrics): immutable values with settings, run through
/// <c>Explain(model).For(target).Evaluate(metric, input, attribution)</c>. Each returns one score per example
/// (shape (batch)), or one curve per example (shape (batch, steps)); boolean scores are a Bool tensor, counts an Int64
/// tensor, real scores Float64. Only this library derives from it.
/// </summary>
public abstract record EvaluationMetric : ConfigurableMethod
{
    private protected EvaluationMetric(SettingValues values) : base(values) { }

    /// <inheritdoc />
    public sealed override string ToString() => Describe();

    /// <summary>Whether a higher score is better (the comparison report's ranking).</summary>
    internal virtual bool HigherIsBetter => true;

    /// <summary>One number for an example's curve (the comparison report's summary of curve metrics).</summary>
    internal virtual double Summarise(double[] curve) => curve.Average();

    /// <summary>Whether the metric accepts inputs of integer token ids (the run's checks let them through).</summary>
    internal virtual bool AcceptsTokenIds => false;

    /// <summary>Whether a (B, 1) result is still a curve of one point to summarise (not a plain score).</summary>
    internal virtual bool AlwaysCurve => false;

    /// <summary>Computes the scores.</summary>
    internal abstract Tensor Evaluate(MetricRequest request);
}

/// <summary>
/// A metric of an attribution and the model: <c>Explain(model).For(target).Evaluate(metric, input, attribution)</c>.
/// </summary>
public abstract record AttributionMetric : EvaluationMetric
{
    private protected AttributionMetric(SettingValues values) : base(values) { }
}

/// <summary>
/// A metric that compares an attribution with a ground truth (a 0/1 mask of the relevant region, or for
/// <see cref="Focus"/> the quadrants of a mosaic): <c>Explain(model).For(target).Evaluate(metric, input, attribution, groundTruth)</c>.
/// </summary>
public abstract record LocalisationMetric : EvaluationMetric
{
    private protected LocalisationMetric(SettingValues values) : base(values) { }
}

/// <summary>
/// A metric that explains again with the run's method (on perturbed inputs, another class or a changed model):
/// <c>Explain(model).For(target).With(method).Evaluate(metric, input, attribution)</c>.
/// </summary>
public abstract record ExplanationMetric : EvaluationMetric
{
    private protected ExplanationMetric(SettingValues values) : base(values) { }
}

/// <summary>What one evaluation gets: the run's context (model, target, progress…), the input, the attribution, the ground truth and the method.</summary>
internal sealed record MetricRequest(AttributionContext Context, Tensor Input, Tensor Attribution, Tensor? GroundTruth, AttributionMethod? Method)
{
    public long Batch => Input.shape[0];
}
