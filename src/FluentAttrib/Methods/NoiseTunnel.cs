using System.Collections.Immutable;
using System.Globalization;
using FluentAttrib.Core;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>How <see cref="NoiseTunnel"/> combines the attributions of the noisy copies.</summary>
public enum NoiseTunnelType
{
    /// <summary>Mean of the attributions (SmoothGrad, Smilkov et al., 2017; Captum's <c>"smoothgrad"</c>).</summary>
    SmoothGrad,
    /// <summary>Mean of the squared attributions (Captum's <c>"smoothgrad_sq"</c>).</summary>
    SmoothGradSquared,
    /// <summary>Variance of the attributions, mean(a²) − mean(a)² (VarGrad, Adebayo et al., 2018; Captum's <c>"vargrad"</c>).</summary>
    VarGrad,
}

/// <summary>
/// NoiseTunnel: runs another attribution method on <see cref="SampleCount"/> copies of each example with Gaussian
/// noise added, and averages (SmoothGrad), averages the squares (SmoothGrad²) or takes the variance (VarGrad) of
/// the results. Equal to Captum's <c>NoiseTunnel</c>.
/// </summary>
/// <remarks>
/// <para>Each pass evaluates up to <see cref="SamplesPerBatch"/> noisy copies of every example, laid out example-major
/// (each example repeated in place, like <c>repeat_interleave</c>). Per-example targets, additional forward
/// arguments whose first dimension is the batch size, and per-example baselines and feature masks of the wrapped
/// method are expanded the same way.</para>
/// <para>When the wrapped method returns a convergence delta (e.g. <c>IntegratedGradients.WithDelta()</c>), the
/// result carries one delta per noisy copy, shape (batch × samples): the passes' deltas concatenated in pass order,
/// each pass example-major, exactly as Captum concatenates them.</para>
/// </remarks>
public sealed record NoiseTunnel : AttributionMethod
{
    private NoiseTunnel(AttributionMethod inner, NoiseTunnelType type)
    {
        Inner = inner;
        Type = type;
    }

    /// <summary>SmoothGrad: the mean attribution of <paramref name="inner"/> over noisy copies of the input.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="inner"/> is null.</exception>
    public static NoiseTunnel SmoothGrad(AttributionMethod inner) => Create(inner, NoiseTunnelType.SmoothGrad);

    /// <summary>SmoothGrad²: the mean squared attribution of <paramref name="inner"/> over noisy copies of the input.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="inner"/> is null.</exception>
    public static NoiseTunnel SmoothGradSquared(AttributionMethod inner) => Create(inner, NoiseTunnelType.SmoothGradSquared);

    /// <summary>VarGrad: the variance of the attributions of <paramref name="inner"/> over noisy copies of the input.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="inner"/> is null.</exception>
    public static NoiseTunnel VarGrad(AttributionMethod inner) => Create(inner, NoiseTunnelType.VarGrad);

    /// <summary>A noise tunnel of the given <paramref name="type"/> around <paramref name="inner"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="inner"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="type"/> is not a defined value.</exception>
    public static NoiseTunnel Create(AttributionMethod inner, NoiseTunnelType type)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (!Enum.IsDefined(type)) throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown noise tunnel type.");
        return new NoiseTunnel(inner, type);
    }

    /// <summary>The wrapped method, run on the noisy copies.</summary>
    public AttributionMethod Inner { get; }

    /// <summary>How the attributions of the noisy copies are combined.</summary>
    public NoiseTunnelType Type { get; }

    /// <summary>Noisy copies per example (Captum's <c>nt_samples</c>). <value>The default value is 5.</value></summary>
    public int SampleCount { get; private init; } = 5;

    /// <summary>
    /// Standard deviation of the Gaussian noise: one value for all inputs, or one per input (Captum's <c>stdevs</c>).
    /// <value>The default value is a single 1.0.</value>
    /// </summary>
    public ValueList<double> StandardDeviations { get; private init; } = [1.0];

    /// <summary>
    /// Noisy copies of each example per pass of the wrapped method (Captum's <c>nt_samples_batch_size</c>), or null
    /// to choose from the memory budget: all of them in one pass unless the noisy batch of a gradient method would
    /// exceed it (so small inputs keep Captum's single pass and its noise draws). <value>The default value is null.</value>
    /// </summary>
    public int? SamplesPerBatch { get; private init; }

    /// <summary>
    /// Seed of the generator that draws the noise, or null to use torch's default generator.
    /// <value>The default value is null.</value>
    /// </summary>
    public long? SeedValue { get; private init; }

    /// <summary>
    /// Whether tensor baselines of the wrapped method are a distribution from which each noisy copy draws one row at
    /// random (Captum's <c>draw_baseline_from_distrib</c>). <value>The default value is false.</value>
    /// </summary>
    public bool DrawsBaselineFromDistribution { get; private init; }

    /// <summary>Uses <paramref name="samples"/> noisy copies per example.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samples"/> is less than 1.</exception>
    public NoiseTunnel Samples(int samples)
    {
        if (samples < 1) throw new ArgumentOutOfRangeException(nameof(samples), samples, "NoiseTunnel needs at least 1 sample.");
        return this with { SampleCount = samples };
    }

    /// <summary>Uses Gaussian noise of standard deviation <paramref name="stdDev"/> for every input (0 = no noise).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stdDev"/> is negative, infinite or NaN.</exception>
    public NoiseTunnel StdDev(double stdDev)
    {
        CheckStdDev(stdDev, nameof(stdDev));
        return this with { StandardDeviations = [stdDev] };
    }

    /// <summary>Uses one noise standard deviation per input of a multi-input model (or one for all).</summary>
    /// <exception cref="ArgumentException">No value given.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value is negative, infinite or NaN.</exception>
    public NoiseTunnel StdDevs(params double[] stdDevs)
    {
        ArgumentNullException.ThrowIfNull(stdDevs);
        if (stdDevs.Length == 0) throw new ArgumentException("Give at least one standard deviation.", nameof(stdDevs));
        foreach (var s in stdDevs) CheckStdDev(s, nameof(stdDevs));
        return this with { StandardDeviations = [.. stdDevs] };
    }

    /// <summary>Evaluates at most <paramref name="samples"/> noisy copies of each example per pass (Captum's <c>nt_samples_batch_size</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samples"/> is less than 1.</exception>
    public NoiseTunnel SamplesBatchSize(int samples)
    {
        if (samples < 1) throw new ArgumentOutOfRangeException(nameof(samples), samples, "The samples batch size must be at least 1.");
        return this with { SamplesPerBatch = samples };
    }

    /// <summary>
    /// Draws the noise (and baselines, see <see cref="DrawBaselineFromDistribution"/>) from a generator seeded with
    /// <paramref name="seed"/>, created on the inputs' device for each call: the same seed gives the same result.
    /// </summary>
    public NoiseTunnel Seed(long seed) => this with { SeedValue = seed };

    /// <summary>
    /// Treats tensor baselines of the wrapped method as a distribution (rows = reference examples) and gives each
    /// noisy copy one row drawn at random (Captum's <c>draw_baseline_from_distrib</c>).
    /// </summary>
    public NoiseTunnel DrawBaselineFromDistribution(bool draw = true) => this with { DrawsBaselineFromDistribution = draw };

    /// <inheritdoc />
    public override string Name => nameof(NoiseTunnel);

    /// <inheritdoc />
    public override string Describe() =>
        $"NoiseTunnel({Type}, {SampleCount} samples, stddev {string.Join("/", StandardDeviations.Select(s => s.ToString(CultureInfo.InvariantCulture)))}) of {Inner.Describe()}";

    private static void CheckStdDev(double s, string paramName)
    {
        if (!(s >= 0) || double.IsInfinity(s))
            throw new ArgumentOutOfRangeException(paramName, s, "A noise standard deviation must be finite and not negative.");
    }

    internal override Attribution Attribute(AttributionContext context)
    {
        var inputs = context.Inputs;
        if (StandardDeviations.Length != 1 && StandardDeviations.Length != inputs.Length)
            throw new ArgumentException(
                $"{StandardDeviations.Length} noise standard deviations were given for {inputs.Length} inputs; give one per input or one for all.",
                "stdDevs");
        for (int i = 0; i < inputs.Length; i++)
            if (StdDevFor(i) != 0 && !inputs[i].is_floating_point())
                throw new ArgumentException(
                    $"Input {i} has dtype {inputs[i].dtype}; noise can only be added to floating-point inputs (use a standard deviation of 0 for it).",
                    "inputs");

        long batch = context.BatchSize;
        // Unless set, as many noisy copies per pass as the memory budget allows for a gradient method on the batch
        // (all of them for small inputs); the inner method may split its passes further.
        int perPass = Math.Min(SampleCount, SamplesPerBatch
            ?? (int)Math.Max(1, BatchPlanner.ExamplesWithinBudget(context, inputs, withGradients: true) / Math.Max(1, context.BatchSize)));
        int passes = (SampleCount + perPass - 1) / perPass;
        using var generator = SeedValue is { } seed ? new Generator(unchecked((ulong)seed), inputs[0].device) : null;

        Tensor?[]? sums = null, sumsOfSquares = null; // owned here (detached from scopes), disposed in finally
        var deltas = new List<Tensor>();
        int pass = 0;
        try
        {
            for (int start = 0; start < SampleCount; start += perPass)
            {
                context.ThrowIfCancelled();
                int k = Math.Min(perPass, SampleCount - start);
                using var scope = NewDisposeScope();
                var noisy = new Tensor[inputs.Length];
                for (int i = 0; i < inputs.Length; i++)
                {
                    var repeated = inputs[i].repeat_interleave(k, dim: 0);
                    double std = StdDevFor(i);
                    noisy[i] = std == 0
                        ? repeated
                        : repeated + randn(repeated.shape, dtype: repeated.dtype, device: repeated.device, generator: generator).mul_(std);
                }
                var additional = ExampleSlicing.RepeatInterleave(context.AdditionalArgs, batch, k);
                Attribution result;
                using (ExampleExpansion.Push(batch, k, DrawsBaselineFromDistribution, generator))
                    result = Inner.Attribute(context.With(noisy, context.Target.Expand(k, interleave: true), additional));

                var values = result.Values;
                sums ??= new Tensor?[values.Count];
                sumsOfSquares ??= new Tensor?[values.Count];
                if (values.Count != sums.Length)
                    throw new InvalidOperationException($"{Inner.Name} returned {values.Count} attributions in one pass and {sums.Length} in another.");
                for (int i = 0; i < values.Count; i++)
                {
                    var v = values[i];
                    if (v.dim() == 0 || v.shape[0] != batch * k)
                        throw new InvalidOperationException(
                            $"{Inner.Name} returned attributions of shape {Shapes.Format(v.shape)} for {batch * k} noisy examples; NoiseTunnel needs one row per example.");
                    var perExample = v.reshape([batch, k, .. v.shape.AsSpan(1).ToArray()]);
                    var sum = perExample.sum(dim: 1);
                    var sumSq = perExample.pow(2).sum(dim: 1);
                    if (sums[i] is { } total)
                    {
                        total.add_(sum);
                        sumsOfSquares[i]!.add_(sumSq);
                    }
                    else
                    {
                        sums[i] = sum.DetachFromDisposeScope();
                        sumsOfSquares[i] = sumSq.DetachFromDisposeScope();
                    }
                }
                if (result.Delta is { } delta) deltas.Add(delta.DetachFromDisposeScope());
                context.Report(Name, ++pass, passes);
            }

            using var final = NewDisposeScope();
            var output = new Tensor[sums!.Length];
            for (int i = 0; i < output.Length; i++)
            {
                var mean = sums[i]! / SampleCount;
                output[i] = Type switch
                {
                    NoiseTunnelType.SmoothGrad => mean,
                    NoiseTunnelType.SmoothGradSquared => sumsOfSquares![i]! / SampleCount,
                    _ => sumsOfSquares![i]! / SampleCount - mean * mean,
                };
                output[i] = output[i].MoveToOuterDisposeScope();
            }
            Tensor? deltaOut = deltas.Count > 0 ? cat(deltas, 0).MoveToOuterDisposeScope() : null;
            return Result(context, output, deltaOut);
        }
        finally
        {
            foreach (var t in deltas) t.Dispose();
            foreach (var t in sums ?? []) t?.Dispose();
            foreach (var t in sumsOfSquares ?? []) t?.Dispose();
        }
    }

    private double StdDevFor(int input) => StandardDeviations.Length == 1 ? StandardDeviations[0] : StandardDeviations[input];
}
