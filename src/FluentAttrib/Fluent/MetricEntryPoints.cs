using FluentAttrib.Core;
using static TorchSharp.torch;

namespace FluentAttrib;

// Metric entry points of the fluent API (Explainer, TargetedExplainer and AttributionRun are partial for them).

public sealed partial class Explainer
{
    /// <summary>
    /// The infidelity (batch) of <paramref name="attribution"/> for a model that returns one scalar per example; see
    /// <see cref="TargetedExplainer.Infidelity(FluentAttrib.Infidelity, Tensor, Tensor)"/>.
    /// </summary>
    public Tensor Infidelity(Infidelity metric, Tensor input, Tensor attribution) => For(Target.None).Infidelity(metric, input, attribution);

    /// <summary>The infidelity (batch) of <paramref name="attributions"/> (one per input) for a model that returns one scalar per example.</summary>
    public Tensor Infidelity(Infidelity metric, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> attributions) =>
        For(Target.None).Infidelity(metric, inputs, attributions);
}

public sealed partial class TargetedExplainer
{
    /// <summary>
    /// The infidelity of <paramref name="attribution"/> as an explanation of the target output at
    /// <paramref name="input"/>: one value per example, shape (batch). Lower is better.
    /// </summary>
    /// <exception cref="ArgumentException">The attribution's shape differs from the input's, or the perturbation
    /// function returns tensors of the wrong shapes.</exception>
    public Tensor Infidelity(Infidelity metric, Tensor input, Tensor attribution)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(attribution);
        return Infidelity(metric, [input], [attribution]);
    }

    /// <summary>
    /// The infidelity of <paramref name="attributions"/> (one per input, each of its input's shape) as an explanation
    /// of the target output at <paramref name="inputs"/>: one value per example, shape (batch). For additional forward
    /// arguments, progress or cancellation, call it on an <see cref="AttributionRun"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Attributions and inputs differ in number or shape, or the perturbation
    /// function returns tensors of the wrong shapes.</exception>
    public Tensor Infidelity(Infidelity metric, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> attributions) =>
        new AttributionRun(Forward, Target, MetricOnly.Instance).Infidelity(metric, inputs, attributions);
}

public sealed partial record AttributionRun
{
    /// <summary>
    /// The infidelity of <paramref name="attribution"/> (computed by any method) as an explanation of the target output
    /// at <paramref name="input"/>, with this run's additional arguments, progress, cancellation and memory budget:
    /// one value per example, shape (batch). The run's method is not used.
    /// </summary>
    /// <exception cref="ArgumentException">The attribution's shape differs from the input's, or the perturbation
    /// function returns tensors of the wrong shapes.</exception>
    public Tensor Infidelity(Infidelity metric, Tensor input, Tensor attribution)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(attribution);
        return Infidelity(metric, [input], [attribution]);
    }

    /// <summary>
    /// The infidelity of <paramref name="attributions"/> (one per input, each of its input's shape) as an explanation
    /// of the target output at <paramref name="inputs"/>: one value per example, shape (batch). The run's method is not used.
    /// </summary>
    /// <exception cref="ArgumentException">Attributions and inputs differ in number or shape, or the perturbation
    /// function returns tensors of the wrong shapes.</exception>
    public Tensor Infidelity(Infidelity metric, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> attributions)
    {
        ArgumentNullException.ThrowIfNull(metric);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(attributions);
        for (int i = 0; i < attributions.Count; i++)
        {
            if (attributions[i] is null) throw new ArgumentNullException($"{nameof(attributions)}[{i}]");
            Core.RunChecks.RequireLive(attributions[i], $"{nameof(attributions)}[{i}]", $"Attribution {i}");
        }
        return Execute([.. inputs], nameof(Infidelity), integerInputs: false, context => metric.Compute(context, attributions));
    }

    /// <summary>
    /// The max-sensitivity of this run's method at <paramref name="input"/>: per example the largest relative change
    /// of its attributions under the metric's perturbations, shape (batch). Lower is better.
    /// </summary>
    /// <exception cref="ArgumentException">The perturbation function returns tensors of the wrong shapes, or the
    /// inputs do not fit the model or method.</exception>
    public Tensor SensitivityMax(SensitivityMax metric, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return SensitivityMax(metric, [input]);
    }

    /// <summary>The max-sensitivity (batch) of this run's method at <paramref name="inputs"/> (a multi-input model).</summary>
    /// <exception cref="ArgumentException">The perturbation function returns tensors of the wrong shapes, or the
    /// inputs do not fit the model or method.</exception>
    public Tensor SensitivityMax(SensitivityMax metric, params Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(metric);
        ArgumentNullException.ThrowIfNull(inputs);
        if (Method is MetricOnly)
            throw new InvalidOperationException("Sensitivity needs an attribution method: call With(method) first.");
        ForwardOnly.Check(Forward, Method);
        return Execute(inputs, nameof(SensitivityMax), IntegerInputs.Accepts(Method), context => metric.Compute(context, Method));
    }
}

/// <summary>Stands in for the method of a run made only to compute a metric that needs none.</summary>
internal sealed record MetricOnly : AttributionMethod
{
    private MetricOnly() : base(new SettingValues()) { }

    public static MetricOnly Instance { get; } = new();

    public override string Name => "none";

    internal override Attribution Attribute(AttributionContext context) =>
        throw new InvalidOperationException("No attribution method was chosen: call With(method) first.");
}
