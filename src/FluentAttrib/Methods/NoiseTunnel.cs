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
/// NoiseTunnel: runs another attribution method on <c>Settings.Samples</c> copies of each example with Gaussian
/// noise added, and averages (SmoothGrad), averages the squares (SmoothGrad²) or takes the variance (VarGrad) of
/// the results. Equal to Captum's <c>NoiseTunnel</c>.
/// </summary>
/// <remarks>
/// <para>Each pass evaluates up to <c>Settings.InternalBatchSize</c> noisy copies of every example (Captum's
/// <c>nt_samples_batch_size</c>), laid out example-major (each example repeated in place, like
/// <c>repeat_interleave</c>). The wrapped method receives the expanded targets and additional forward arguments
/// whose first dimension is the batch size in its context, and a copy of itself whose per-example baselines and
/// feature masks are expanded the same way.</para>
/// <para>When the wrapped method returns a convergence delta (e.g. <c>IntegratedGradients.Default.ReturnDelta()</c>),
/// the result carries one delta per noisy copy, shape (batch × samples): the passes' deltas concatenated in pass
/// order, each pass example-major, exactly as Captum concatenates them.</para>
/// </remarks>
public sealed record NoiseTunnel : AttributionMethod,
    ISamplesSetting, INoiseSetting, IInternalBatchSizeSetting, ISeedSetting
{
    /// <summary>
    /// <see cref="Defaults.NoiseTunnelSamples"/> noisy copies per example, noise of standard deviation
    /// <see cref="Defaults.NoiseTunnelStdDev"/>, copies per pass planned from the memory budget, torch's default
    /// random generator, baselines not drawn from a distribution.
    /// </summary>
    private static SettingValues DefaultValues { get; } = new() { Samples = Defaults.NoiseTunnelSamples, StdDevs = [Defaults.NoiseTunnelStdDev] };

    private NoiseTunnel(AttributionMethod inner, NoiseTunnelType type) : base(DefaultValues)
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

    /// <summary>
    /// A noise tunnel of the given <paramref name="type"/> around <paramref name="inner"/>, with
    /// <see cref="Defaults.NoiseTunnelSamples"/> noisy copies per example and noise of standard deviation
    /// <see cref="Defaults.NoiseTunnelStdDev"/> (Captum's defaults).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="inner"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="type"/> is not a defined value.</exception>
    public static NoiseTunnel Create(AttributionMethod inner, NoiseTunnelType type)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (!Enum.IsDefined(type)) throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown noise tunnel type.");
        return new NoiseTunnel(inner, type);
    }

    /// <summary>The wrapped method, run on the noisy copies.</summary>
    public AttributionMethod Inner { get; private init; }

    /// <summary>How the attributions of the noisy copies are combined.</summary>
    public NoiseTunnelType Type { get; }

    /// <summary>The method's settings, read back by name (<c>Settings.Samples</c>, <c>Settings.StdDevs</c>).</summary>
    public MethodSettings<NoiseTunnel> Settings => new(Values);

    /// <summary>
    /// Treats tensor baselines of the wrapped method as a distribution (rows = reference examples) and gives each
    /// noisy copy one row drawn at random (Captum's <c>draw_baseline_from_distrib</c>), from the seeded generator
    /// when <see cref="MethodSettingExtensions.Seed{TMethod}"/> is set.
    /// </summary>
    public NoiseTunnel DrawBaselineFromDistribution(bool draw = true) => this with { Values = Values with { DrawBaselineFromDistribution = draw } };

    /// <summary>This tunnel around <paramref name="inner"/> (the wrapped method rewritten for an outer expansion).</summary>
    internal NoiseTunnel WithInner(AttributionMethod inner) => this with { Inner = inner };


    /// <inheritdoc />
    public override string Describe() =>
        $"NoiseTunnel({Type}, {Values.Samples} samples, stddev {string.Join("/", Values.StdDevs.Select(s => s.ToString(CultureInfo.InvariantCulture)))}) of {Inner.Describe()}";

    internal override Attribution Attribute(AttributionContext context)
    {
        var inputs = context.Inputs;
        var settings = Values;
        var stdDevs = settings.StdDevs;
        if (stdDevs.Length != 1 && stdDevs.Length != inputs.Length)
            throw new ArgumentException(
                $"{stdDevs.Length} noise standard deviations were given for {inputs.Length} inputs; give one per input or one for all.",
                "stdDevs");
        for (int i = 0; i < inputs.Length; i++)
            if (StdDevFor(i) != 0 && !inputs[i].is_floating_point())
                throw new ArgumentException(
                    $"Input {i} has dtype {inputs[i].dtype}; noise can only be added to floating-point inputs (use a standard deviation of 0 for it).",
                    "inputs");

        long batch = context.BatchSize;
        // Unless set, as many noisy copies per pass as the memory budget allows for a gradient method on the batch
        // (all of them for small inputs); the inner method may split its passes further.
        int samples = settings.Samples;
        int perPass = Math.Min(samples, settings.InternalBatchSize
            ?? (int)Math.Max(1, BatchPlanner.ExamplesWithinBudget(context, inputs, withGradients: true) / Math.Max(1, context.BatchSize)));
        int passes = (samples + perPass - 1) / perPass;
        using var generator = settings.Seed is { } seed ? new Generator(unchecked((ulong)seed), inputs[0].device) : null;

        Tensor?[]? sums = null, sumsOfSquares = null; // owned here (detached from scopes), disposed in finally
        var deltas = new List<Tensor>();
        int pass = 0;
        try
        {
            for (int start = 0; start < samples; start += perPass)
            {
                context.ThrowIfCancelled();
                int k = Math.Min(perPass, samples - start);
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
                // The wrapped method gets everything expanded explicitly: inputs, targets and additional arguments in
                // its context, per-example baselines and masks (or rows drawn from a baseline distribution) in a copy
                // of its settings (rows of a baseline distribution are drawn after this pass's noise).
                var additional = ExampleSlicing.RepeatInterleave(context.AdditionalArgs, batch, k);
                var inner = new BatchExpansion(batch, k, settings.DrawBaselineFromDistribution, generator).For(Inner, noisy);
                var result = inner.Attribute(context.With(noisy, context.Target.Expand(k, interleave: true), additional));

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
                var mean = sums[i]! / samples;
                output[i] = Type switch
                {
                    NoiseTunnelType.SmoothGrad => mean,
                    NoiseTunnelType.SmoothGradSquared => sumsOfSquares![i]! / samples,
                    _ => sumsOfSquares![i]! / samples - mean * mean,
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

    private double StdDevFor(int input) => Values.StdDevs.Length == 1 ? Values.StdDevs[0] : Values.StdDevs[input];
}
