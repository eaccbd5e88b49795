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
/// example-major (each example repeated in place); per-example targets, additional arguments and per-example
/// baselines or masks of the method are expanded to match. A perturbation function receives those expanded inputs
/// and returns perturbed inputs of the same shapes.
/// </remarks>
public sealed record SensitivityMax
{
    private Func<IReadOnlyList<Tensor>, Generator?, Tensor[]>? _perturb;

    private SensitivityMax() { }

    /// <summary>10 perturbations per example, uniform noise in [−0.02, 0.02] (Captum's defaults).</summary>
    public static SensitivityMax Default { get; } = new();

    /// <summary>The default metric with <paramref name="samples"/> perturbations per example.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samples"/> is less than 1.</exception>
    public static SensitivityMax Samples(int samples) => Default.WithSamples(samples);

    /// <summary>Perturbations per example (Captum's <c>n_perturb_samples</c>). <value>The default value is 10.</value></summary>
    public int SampleCount { get; private init; } = 10;

    /// <summary>
    /// Half-width of the built-in uniform noise, x′ = x + U(−r, r) per element (Captum's <c>perturb_radius</c>).
    /// Not used by a perturbation function. <value>The default value is 0.02.</value>
    /// </summary>
    public double RadiusValue { get; private init; } = 0.02;

    /// <summary>Whether a perturbation function replaces the built-in uniform noise. <value>The default value is false.</value></summary>
    public bool HasCustomPerturbation => _perturb is not null;

    /// <summary>
    /// Perturbed examples explained per pass, or null to choose from the memory budget (Captum's
    /// <c>max_examples_per_batch</c>; each pass holds at least one perturbation of every example).
    /// <value>The default value is null.</value>
    /// </summary>
    public int? MaxExamplesPerBatchValue { get; private init; }

    /// <summary>
    /// Seed of the generator of the built-in uniform noise, or null for torch's default generator. The draw depends on
    /// how many samples go into one pass, so fix <see cref="MaxExamplesPerBatch"/> too for results that repeat across
    /// machines. <value>The default value is null.</value>
    /// </summary>
    public long? SeedValue { get; private init; }

    /// <summary>Uses <paramref name="samples"/> perturbations per example.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samples"/> is less than 1.</exception>
    public SensitivityMax WithSamples(int samples)
    {
        if (samples < 1) throw new ArgumentOutOfRangeException(nameof(samples), samples, "Sensitivity needs at least 1 perturbation per example.");
        return this with { SampleCount = samples };
    }

    /// <summary>Uses the built-in uniform noise in [−<paramref name="radius"/>, <paramref name="radius"/>].</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="radius"/> is negative, infinite or NaN.</exception>
    public SensitivityMax Radius(double radius)
    {
        if (!(radius >= 0) || double.IsInfinity(radius))
            throw new ArgumentOutOfRangeException(nameof(radius), radius, "The perturbation radius must be finite and not negative.");
        return this with { RadiusValue = radius, _perturb = null };
    }

    /// <summary>Perturbs the (expanded) input of a single-input model with <paramref name="perturbation"/>, which returns x′ of the same shape.</summary>
    public SensitivityMax Perturbation(Func<Tensor, Tensor> perturbation)
    {
        ArgumentNullException.ThrowIfNull(perturbation);
        return this with
        {
            _perturb = (inputs, _) => inputs.Count == 1
                ? [perturbation(inputs[0])]
                : throw new ArgumentException(
                    $"A single-input perturbation was given for {inputs.Count} inputs; use SensitivityMax.MultiInputPerturbation.", nameof(perturbation)),
        };
    }

    /// <summary>Perturbs the (expanded) inputs of a multi-input model with <paramref name="perturbation"/>, which returns one x′ per input.</summary>
    public SensitivityMax MultiInputPerturbation(Func<IReadOnlyList<Tensor>, Tensor[]> perturbation)
    {
        ArgumentNullException.ThrowIfNull(perturbation);
        return this with { _perturb = (inputs, _) => perturbation(inputs) };
    }

    /// <summary>Explains at most <paramref name="examples"/> perturbed examples per pass (at least one per example).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="examples"/> is less than 1.</exception>
    public SensitivityMax MaxExamplesPerBatch(int examples)
    {
        if (examples < 1) throw new ArgumentOutOfRangeException(nameof(examples), examples, "A batch needs at least 1 example.");
        return this with { MaxExamplesPerBatchValue = examples };
    }

    /// <summary>Draws the built-in uniform noise from a generator seeded with <paramref name="seed"/> (created per call).</summary>
    public SensitivityMax Seed(long seed) => this with { SeedValue = seed };

    /// <inheritdoc />
    public override string ToString() =>
        $"SensitivityMax({(_perturb is null ? "uniform radius " + RadiusValue.ToString(CultureInfo.InvariantCulture) : "custom perturbation")}, {SampleCount} samples)";

    private Tensor[] Uniform(IReadOnlyList<Tensor> inputs, Generator? generator) =>
        inputs.Select(x => x + empty_like(x).uniform_(-RadiusValue, RadiusValue, generator)).ToArray();

    /// <summary>The max-sensitivity (B) of <paramref name="method"/> for the context's inputs, target and model.</summary>
    internal Tensor Compute(AttributionContext ctx, AttributionMethod method)
    {
        var inputs = ctx.Inputs;
        if (_perturb is null)
            for (int i = 0; i < inputs.Length; i++)
                if (!inputs[i].is_floating_point())
                    throw new ArgumentException($"Input {i} has dtype {inputs[i].dtype}; uniform perturbations need floating-point inputs.", "inputs");

        long batch = ctx.BatchSize;
        int perPass = MaxExamplesPerBatchValue ?? BatchPlanner.ExamplesPerPass(ctx, inputs, withGradients: true);
        var chunks = StepChunks.Split(SampleCount, batch, perPass).ToArray();
        using var generator = SeedValue is { } seed ? new Generator(unchecked((ulong)seed), inputs[0].device) : null;
        var perturb = _perturb ?? Uniform;

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

                    var sub = ctx.With(perturbed, ctx.Target.Expand(k, interleave: true), ExampleSlicing.RepeatInterleave(ctx.AdditionalArgs, batch, k));
                    Attribution again;
                    using (ExampleExpansion.Push(batch, k))
                        again = method.Attribute(sub);
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
