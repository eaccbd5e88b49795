using System.Globalization;
using FluentAttrib.Core;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Infidelity (Yeh et al., 2019; Captum's <c>captum.metrics.infidelity</c>): how badly attributions predict the change
/// of the model output under perturbations, per example the mean over perturbations I of
/// (Σ attribution·I − (F(x) − F(x − I)))². Build one with <see cref="GaussianNoise"/> or a perturbation function,
/// then run it with <c>Explain(model).For(target).Infidelity(metric, inputs, attributions)</c>.
/// </summary>
/// <remarks>
/// A perturbation function receives the inputs expanded example-major (each example repeated
/// <c>Settings.Samples</c> times in place, or fewer per pass when batched) and returns the perturbations I and the
/// perturbed inputs, each of the expanded inputs' shapes; the metric uses both as given (normally perturbed = x − I).
/// The perturbation is the metric's identity, chosen when it is created; its settings (<c>Samples</c>,
/// <c>InternalBatchSize</c>, <c>Seed</c>, <c>Normalize</c>) are set afterwards and read back through
/// <see cref="Settings"/>. <see cref="Defaults.InfidelitySamples"/> perturbations per example unless set.
/// </remarks>
public sealed record Infidelity : ConfigurableMethod,
    ISamplesSetting, IInternalBatchSizeSetting, ISeedSetting
{
    /// <summary>The perturbation function, or null for the built-in Gaussian perturbation of <see cref="NoiseStdDev"/>.</summary>
    private readonly Func<IReadOnlyList<Tensor>, (Tensor[] Perturbations, Tensor[] PerturbedInputs)>? _perturb;

    /// <summary>The settings every infidelity metric starts from (shared, so equal metrics have equal settings).</summary>
    private static SettingValues DefaultValues { get; } = new() { Samples = Defaults.InfidelitySamples };

    private Infidelity(Func<IReadOnlyList<Tensor>, (Tensor[], Tensor[])>? perturb, double? noise) : base(DefaultValues)
    {
        _perturb = perturb;
        NoiseStdDev = noise;
    }

    /// <summary>
    /// Perturbations I = <paramref name="stdDev"/>·N(0, 1) drawn independently for every element; the perturbed input is
    /// x − I. Two such metrics with equal settings are equal.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stdDev"/> is not positive and finite.</exception>
    public static Infidelity GaussianNoise(double stdDev)
    {
        if (!(stdDev > 0) || double.IsInfinity(stdDev))
            throw new ArgumentOutOfRangeException(nameof(stdDev), stdDev, "The noise standard deviation must be positive and finite.");
        return new Infidelity(null, stdDev);
    }

    /// <summary>
    /// Perturbations from <paramref name="perturbation"/> for a single-input model: given the expanded input, it returns
    /// the perturbation I and the perturbed input (normally x − I), both of the expanded input's shape.
    /// </summary>
    public static Infidelity Perturbation(Func<Tensor, (Tensor Perturbation, Tensor PerturbedInput)> perturbation)
    {
        ArgumentNullException.ThrowIfNull(perturbation);
        return new Infidelity(inputs =>
        {
            if (inputs.Count != 1)
                throw new ArgumentException(
                    $"A single-input perturbation was given for {inputs.Count} inputs; use Infidelity.MultiInputPerturbation.", nameof(perturbation));
            var (p, x) = perturbation(inputs[0]);
            return ([p], [x]);
        }, null);
    }

    /// <summary>
    /// Perturbations from <paramref name="perturbation"/> for a multi-input model: given the expanded inputs, it returns
    /// one perturbation and one perturbed input per input, each of its expanded input's shape.
    /// </summary>
    public static Infidelity MultiInputPerturbation(Func<IReadOnlyList<Tensor>, (Tensor[] Perturbations, Tensor[] PerturbedInputs)> perturbation)
    {
        ArgumentNullException.ThrowIfNull(perturbation);
        return new Infidelity(perturbation, null);
    }

    /// <summary>Standard deviation of the built-in Gaussian perturbation, or null for a perturbation function.</summary>
    public double? NoiseStdDev { get; }

    /// <summary>
    /// The metric's settings, read back by name (<c>Settings.Samples</c>, <c>Settings.Normalize</c>). The built-in
    /// Gaussian draw depends on how many samples go into one pass, so fix <c>InternalBatchSize</c> along with
    /// <c>Seed</c> for results that repeat across machines; a perturbation function draws as it likes.
    /// </summary>
    public MethodSettings<Infidelity> Settings => new(Values);

    /// <summary>
    /// Scales the attributions by the β minimizing the infidelity first, β = Σ(a·I)(ΔF) / Σ(a·I)² per example (true),
    /// or uses them as given (false, the default); Captum's <c>normalize</c>.
    /// </summary>
    public Infidelity Normalize(bool normalize = true) => this with { Values = Values with { Normalize = normalize } };


    /// <inheritdoc />
    public override string Describe() =>
        $"Infidelity({(NoiseStdDev is { } s ? "Gaussian " + s.ToString(CultureInfo.InvariantCulture) : "custom perturbation")}, {Values.Samples} samples{(Values.Normalize ? ", normalized" : "")})";

    /// <inheritdoc />
    public override string ToString() => Describe();

    private static (Tensor[], Tensor[]) Gaussian(IReadOnlyList<Tensor> inputs, double std, Generator? generator)
    {
        var perturbations = new Tensor[inputs.Count];
        var perturbed = new Tensor[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            perturbations[i] = randn(inputs[i].shape, dtype: inputs[i].dtype, device: inputs[i].device, generator: generator).mul_(std);
            perturbed[i] = inputs[i] - perturbations[i];
        }
        return (perturbations, perturbed);
    }

    /// <summary>The infidelity (B) of <paramref name="attributions"/> for the context's inputs, target and model.</summary>
    internal Tensor Compute(AttributionContext ctx, IReadOnlyList<Tensor> attributions)
    {
        var inputs = ctx.Inputs;
        ArgumentNullException.ThrowIfNull(attributions);
        if (attributions.Count != inputs.Length)
            throw new ArgumentException($"{attributions.Count} attributions were given for {inputs.Length} inputs; give one per input.", nameof(attributions));
        for (int i = 0; i < inputs.Length; i++)
        {
            if (attributions[i] is null) throw new ArgumentNullException($"{nameof(attributions)}[{i}]");
            if (!attributions[i].shape.SequenceEqual(inputs[i].shape))
                throw new ArgumentException(
                    $"Attribution {i} has shape {Shapes.Format(attributions[i].shape)} but input {i} has shape {Shapes.Format(inputs[i].shape)}; they must be equal.",
                    nameof(attributions));
            if (NoiseStdDev is not null && !inputs[i].is_floating_point())
                throw new ArgumentException($"Input {i} has dtype {inputs[i].dtype}; Gaussian perturbations need floating-point inputs.", "inputs");
        }

        var v = Values;
        long batch = ctx.BatchSize;
        int perPass = v.InternalBatchSize ?? BatchPlanner.ExamplesPerPass(ctx, inputs, withGradients: false);
        var chunks = StepChunks.Split(v.Samples, batch, perPass).ToArray();
        using var generator = v.Seed is { } seed ? new Generator(unchecked((ulong)seed), inputs[0].device) : null;

        Tensor? sumSq = null, sumCross = null, sumDiffSq = null; // owned here, disposed in finally
        try
        {
            using (NewDisposeScope())
            {
                var original = ctx.ForwardSelected(inputs, ctx.Target);
                int pass = 0;
                foreach (var (start, end) in chunks)
                {
                    ctx.ThrowIfCancelled();
                    using var scope = NewDisposeScope();
                    int k = end - start;
                    var expanded = inputs.Select(x => x.repeat_interleave(k, dim: 0)).ToArray();
                    var (perturbations, perturbed) = _perturb is { } perturb ? perturb(expanded) : Gaussian(expanded, NoiseStdDev!.Value, generator);
                    CheckPerturbation(perturbations, "perturbations", expanded);
                    CheckPerturbation(perturbed, "perturbed inputs", expanded);

                    var outputs = ctx.ForwardSelected(perturbed, ctx.Target.Expand(k, interleave: true), k, interleave: true);
                    var change = (original.repeat_interleave(k, dim: 0) - outputs).view(batch, k);
                    Tensor predicted = zeros(batch * k, dtype: change.dtype, device: change.device);
                    for (int i = 0; i < inputs.Length; i++)
                        predicted = predicted + (attributions[i].repeat_interleave(k, dim: 0) * perturbations[i]).reshape(batch * k, -1).sum(dim: 1);
                    predicted = predicted.view(batch, k);

                    if (v.Normalize)
                    {
                        Accumulate(ref sumSq, predicted.pow(2).sum(dim: -1));
                        Accumulate(ref sumCross, (predicted * change).sum(dim: -1));
                        Accumulate(ref sumDiffSq, change.pow(2).sum(dim: -1));
                    }
                    else
                    {
                        Accumulate(ref sumSq, (predicted - change).pow(2).sum(dim: -1));
                    }
                    ctx.Report(nameof(Infidelity), ++pass, chunks.Length);
                }
            }

            using var final = NewDisposeScope();
            Tensor result;
            if (v.Normalize)
            {
                var denominator = where(sumSq! != 0, sumSq!, ones_like(sumSq!));
                var beta = sumCross! / denominator;
                result = beta * beta * sumSq! - 2 * beta * sumCross! + sumDiffSq!;
            }
            else result = sumSq!.clone();
            return (result / v.Samples).MoveToOuterDisposeScope();
        }
        finally
        {
            sumSq?.Dispose();
            sumCross?.Dispose();
            sumDiffSq?.Dispose();
        }
    }

    private static void Accumulate(ref Tensor? total, Tensor value)
    {
        if (total is null) total = value.DetachFromDisposeScope();
        else total.add_(value);
    }

    private static void CheckPerturbation(Tensor[]? tensors, string what, Tensor[] expanded)
    {
        if (tensors is null || tensors.Length != expanded.Length)
            throw new ArgumentException(
                $"The perturbation function returned {tensors?.Length ?? 0} {what} for {expanded.Length} inputs.", "perturbation");
        for (int i = 0; i < expanded.Length; i++)
            if (tensors[i] is null || !tensors[i].shape.SequenceEqual(expanded[i].shape))
                throw new ArgumentException(
                    $"The perturbation function returned {what} {i} of shape {(tensors[i] is null ? "null" : Shapes.Format(tensors[i].shape))} for the expanded input of shape {Shapes.Format(expanded[i].shape)}; they must be equal.",
                    "perturbation");
    }
}
