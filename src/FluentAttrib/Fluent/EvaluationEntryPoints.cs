using FluentAttrib.Core;
using static TorchSharp.torch;

namespace FluentAttrib;

// Entry points of the evaluation metrics (Quantus's metrics) in the fluent API.

public sealed partial class TargetedExplainer
{
    /// <summary>
    /// Scores <paramref name="attribution"/> (computed by any method, of the input's shape or (B, 1, …) shared by the
    /// channels) as an explanation of the target output at <paramref name="input"/>: one score per example, or one curve
    /// per example for curve metrics. For progress, cancellation or a memory budget call it on an <see cref="AttributionRun"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The attribution does not fit the input, or the metric's settings do not fit them.</exception>
    public Tensor Evaluate(AttributionMetric metric, Tensor input, Tensor attribution) =>
        new AttributionRun(Forward, Target, MetricOnly.Instance).Evaluate(metric, input, attribution);

    /// <summary>
    /// Scores <paramref name="attribution"/> against <paramref name="groundTruth"/> (a 0/1 mask of shape (B, 1, …) or
    /// of the attribution's shape; for <see cref="Focus"/> the (B, 4) quadrant flags): one score per example.
    /// </summary>
    /// <exception cref="ArgumentException">The attribution or ground truth does not fit the input.</exception>
    public Tensor Evaluate(LocalisationMetric metric, Tensor input, Tensor attribution, Tensor groundTruth) =>
        new AttributionRun(Forward, Target, MetricOnly.Instance).Evaluate(metric, input, attribution, groundTruth);
}

public sealed partial record AttributionRun
{
    /// <summary>
    /// Scores <paramref name="attribution"/> as an explanation of the target output at <paramref name="input"/>, with
    /// this run's progress, cancellation, memory budget and additional arguments: one score (or curve) per example.
    /// The run's method is not used.
    /// </summary>
    /// <exception cref="ArgumentException">The attribution does not fit the input, or the metric's settings do not fit them.</exception>
    public Tensor Evaluate(AttributionMetric metric, Tensor input, Tensor attribution)
    {
        ArgumentNullException.ThrowIfNull(metric);
        return Run(metric, input, attribution, null, method: null);
    }

    /// <summary>Scores <paramref name="attribution"/> against <paramref name="groundTruth"/>: one score per example. The run's method is not used.</summary>
    /// <exception cref="ArgumentException">The attribution or ground truth does not fit the input.</exception>
    public Tensor Evaluate(LocalisationMetric metric, Tensor input, Tensor attribution, Tensor groundTruth)
    {
        ArgumentNullException.ThrowIfNull(metric);
        ArgumentNullException.ThrowIfNull(groundTruth);
        RunChecks.RequireLive(groundTruth, nameof(groundTruth), "The ground truth");
        return Run(metric, input, attribution, groundTruth, method: null);
    }

    /// <summary>
    /// Scores <paramref name="attribution"/> (normally this run's method's attribution of <paramref name="input"/>)
    /// with a metric that explains again with this run's method: one score per example.
    /// </summary>
    /// <exception cref="InvalidOperationException">No method was chosen (call <c>With(method)</c> first).</exception>
    public Tensor Evaluate(ExplanationMetric metric, Tensor input, Tensor attribution)
    {
        ArgumentNullException.ThrowIfNull(metric);
        if (Method is MetricOnly)
            throw new InvalidOperationException($"{metric.Name} explains again: call With(method) first.");
        return Run(metric, input, attribution, null, Method);
    }

    private Tensor Run(EvaluationMetric metric, Tensor input, Tensor attribution, Tensor? groundTruth, AttributionMethod? method)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(attribution);
        RunChecks.RequireLive(attribution, nameof(attribution), "The attribution");
        if (attribution.dim() == 0 || input.dim() == 0 || attribution.shape[0] != input.shape[0])
            throw new ArgumentException(
                $"The attribution has shape {Shapes.Format(attribution.shape)} and the input {Shapes.Format(input.shape)}; both need the same batch size first.",
                nameof(attribution));
        if (groundTruth is not null && (groundTruth.dim() == 0 || groundTruth.shape[0] != input.shape[0]))
            throw new ArgumentException(
                $"The ground truth has shape {Shapes.Format(groundTruth.shape)} but the batch has {input.shape[0]} example(s).", nameof(groundTruth));
        if (attribution.dim() == input.dim() - 1 && input.dim() >= 3)
            attribution = attribution.unsqueeze(1); // (B, H, W) for (B, C, H, W): one value per position, as Quantus reads it
        bool integer = metric.AcceptsTokenIds || (method is not null && IntegerInputs.Accepts(method));
        return Execute([input], metric.Name, integer, context =>
        {
            using var scope = NewDisposeScope();
            return metric.Evaluate(new MetricRequest(context, input, attribution, groundTruth, method)).MoveToOuterDisposeScope();
        });
    }
}
