using System.Globalization;
using FluentAttrib.Core;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Max-sensitivity (Yeh et al., 2019; Captum's <c>captum.metrics.sensitivity_max</c>): how much an explanation changes
/// under small input perturbations, per example the maximum over perturbed inputs x′ of ‖e(x) − e(x′)‖ / ‖e(x)‖
/// (Frobenius norms over all of an example's attributions; a zero ‖e(x)‖ counts as 1). Run it with
/// <c>Explain(model).For(target).With(method).SensitivityMax(metric, inputs)</c>.
/// </summary>
/// <remarks>
/// The explanation is the run's method, evaluated on the inputs and on batches of perturbed inputs laid out
/// example-major (each example repeated in place); it receives the expanded targets and additional arguments in its
/// context and a copy of itself whose per-example baselines or masks are expanded to match. A perturbation function
/// receives those expanded inputs and returns perturbed inputs of the same shapes.
/// </remarks>
public sealed record SensitivityMax : ConfigurableMethod,
    ISamplesSetting, IInternalBatchSizeSetting, ISeedSetting
{
    private SensitivityMax(SettingValues values) : base(values) { }

    /// <summary>
    /// <see cref="Defaults.SensitivityMaxSamples"/> perturbations per example, uniform noise in
    /// [−<see cref="Defaults.SensitivityRadius"/>, <see cref="Defaults.SensitivityRadius"/>] (Captum's defaults),
    /// perturbed examples per pass planned from the memory budget, torch's default random generator.
    /// </summary>
    public static SensitivityMax Default { get; } =
        new(new SettingValues { Samples = Defaults.SensitivityMaxSamples, Radius = Defaults.SensitivityRadius });

    /// <summary>The default metric with <paramref name="samples"/> perturbations per example (<see cref="MethodSettingExtensions.Samples{TMethod}"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samples"/> is less than 1.</exception>
    public static SensitivityMax Samples(int samples) => Default.Samples(samples);

    /// <summary>
    /// The metric's settings, read back by name (<c>Settings.Samples</c>, <c>Settings.Radius</c>). The built-in
    /// uniform draw depends on how many samples go into one pass, so fix <c>InternalBatchSize</c> along with
    /// <c>Seed</c> for results that repeat across machines.
    /// </summary>
    public MethodSettings<SensitivityMax> Settings => new(Values);

    /// <summary>
    /// Uses the built-in uniform noise in [−<paramref name="radius"/>, <paramref name="radius"/>], x′ = x + U(−r, r) per
    /// element (Captum's <c>perturb_radius</c>), replacing a perturbation function set before.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="radius"/> is negative, infinite or NaN.</exception>
    public SensitivityMax Radius(double radius)
    {
        if (!(radius >= 0) || double.IsInfinity(radius))
            throw new ArgumentOutOfRangeException(nameof(radius), radius, "The perturbation radius must be finite and not negative.");
        return this with { Values = Values with { Radius = radius, SensitivityPerturbation = null, SensitivityMultiInputPerturbation = null } };
    }

    /// <summary>Perturbs the (expanded) input of a single-input model with <paramref name="perturbation"/>, which returns x′ of the same shape.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="perturbation"/> is null.</exception>
    public SensitivityMax Perturbation(Func<Tensor, Tensor> perturbation)
    {
        ArgumentNullException.ThrowIfNull(perturbation);
        return this with { Values = Values with { SensitivityPerturbation = perturbation, SensitivityMultiInputPerturbation = null } };
    }

    /// <summary>Perturbs the (expanded) inputs of a multi-input model with <paramref name="perturbation"/>, which returns one x′ per input.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="perturbation"/> is null.</exception>
    public SensitivityMax MultiInputPerturbation(Func<IReadOnlyList<Tensor>, Tensor[]> perturbation)
    {
        ArgumentNullException.ThrowIfNull(perturbation);
        return this with { Values = Values with { SensitivityPerturbation = null, SensitivityMultiInputPerturbation = perturbation } };
    }


    /// <inheritdoc />
    public override string Describe() =>
        $"SensitivityMax({(HasPerturbation ? "custom perturbation" : "uniform radius " + Values.Radius.ToString(CultureInfo.InvariantCulture))}, {Values.Samples} samples)";

    /// <inheritdoc />
    public override string ToString() => Describe();

    private bool HasPerturbation => Values.SensitivityPerturbation is not null || Values.SensitivityMultiInputPerturbation is not null;

    /// <summary>The perturbation of the expanded inputs: the function set, or the built-in uniform noise.</summary>
    private Func<IReadOnlyList<Tensor>, Generator?, Tensor[]> Perturb()
    {
        if (Values.SensitivityMultiInputPerturbation is { } multi) return (inputs, _) => multi(inputs);
        if (Values.SensitivityPerturbation is { } single)
            return (inputs, _) => inputs.Count == 1
                ? [single(inputs[0])]
                : throw new ArgumentException(
                    $"A single-input perturbation was given for {inputs.Count} inputs; use SensitivityMax.MultiInputPerturbation.", "perturbation");
        double radius = Values.Radius;
        return (inputs, generator) => inputs.Select(x => x + empty_like(x).uniform_(-radius, radius, generator)).ToArray();
    }

    /// <summary>The max-sensitivity (B) of <paramref name="method"/> for the context's inputs, target and model.</summary>
    internal Tensor Compute(AttributionContext ctx, AttributionMethod method)
    {
        var inputs = ctx.Inputs;
        if (!HasPerturbation)
            for (int i = 0; i < inputs.Length; i++)
                if (!inputs[i].is_floating_point())
                    throw new ArgumentException($"Input {i} has dtype {inputs[i].dtype}; uniform perturbations need floating-point inputs.", "inputs");

        var v = Values;
        long batch = ctx.BatchSize;
        int perPass = v.InternalBatchSize ?? BatchPlanner.ExamplesPerPass(ctx, inputs, withGradients: true);
        var chunks = StepChunks.Split(v.Samples, batch, perPass).ToArray();
        using var generator = v.Seed is { } seed ? new Generator(unchecked((ulong)seed), inputs[0].device) : null;
        var perturb = Perturb();

        Tensor? best = null; // owned here
        try
        {
            using (NewDisposeScope())
            {
                var explained = method.Attribute(ctx.With(inputs, ctx.Target)).Values.ToArray();
                var norm = Flatten(explained, batch).pow(2).sum(dim: 1).sqrt();
                norm = where(norm == 0, ones_like(norm), norm);
                int pass = 0;
                foreach (var (start, end) in chunks)
                {
                    ctx.ThrowIfCancelled();
                    using var scope = NewDisposeScope();
                    int k = end - start;
                    var expanded = inputs.Select(x => x.repeat_interleave(k, dim: 0)).ToArray();
                    var perturbed = perturb(expanded, generator);
                    if (perturbed is null || perturbed.Length != expanded.Length)
                        throw new ArgumentException($"The perturbation function returned {perturbed?.Length ?? 0} tensors for {expanded.Length} inputs.", "perturbation");
                    for (int i = 0; i < expanded.Length; i++)
                        if (perturbed[i] is null || !perturbed[i].shape.SequenceEqual(expanded[i].shape))
                            throw new ArgumentException(
                                $"The perturbation function returned input {i} of shape {(perturbed[i] is null ? "null" : Shapes.Format(perturbed[i].shape))} for the expanded input of shape {Shapes.Format(expanded[i].shape)}; they must be equal.",
                                "perturbation");

                    // The method gets everything expanded explicitly: inputs, targets and additional arguments in its
                    // context, per-example baselines and masks in a copy of its settings.
                    var sub = ctx.With(perturbed, ctx.Target.Expand(k, interleave: true), ExampleSlicing.RepeatInterleave(ctx.AdditionalArgs, batch, k));
                    var again = new BatchExpansion(batch, k).For(method, perturbed).Attribute(sub);
                    if (again.Values.Count != explained.Length)
                        throw new InvalidOperationException($"{method.Name} returned {again.Values.Count} attributions for perturbed inputs but {explained.Length} for the inputs.");
                    var differences = new Tensor[explained.Length];
                    for (int i = 0; i < explained.Length; i++)
                    {
                        var repeated = explained[i].repeat_interleave(k, dim: 0);
                        if (!again.Values[i].shape.SequenceEqual(repeated.shape))
                            throw new InvalidOperationException(
                                $"{method.Name} returned attributions of shape {Shapes.Format(again.Values[i].shape)} for {batch * k} perturbed examples; expected {Shapes.Format(repeated.shape)}.");
                        differences[i] = repeated - again.Values[i];
                    }
                    var sensitivity = Flatten(differences, batch * k).pow(2).sum(dim: 1).sqrt() / norm.repeat_interleave(k, dim: 0);
                    var worst = sensitivity.view(batch, k).max(dim: 1).values;
                    if (best is null) best = worst.DetachFromDisposeScope();
                    else best.copy_(maximum(best, worst));
                    ctx.Report(nameof(SensitivityMax), ++pass, chunks.Length);
                }
            }

            using var final = NewDisposeScope();
            return best!.clone().MoveToOuterDisposeScope();
        }
        finally
        {
            best?.Dispose();
        }
    }

    private static Tensor Flatten(IReadOnlyList<Tensor> tensors, long rows) =>
        cat(tensors.Select(t => t.reshape(rows, -1)).ToArray(), 1);
}
