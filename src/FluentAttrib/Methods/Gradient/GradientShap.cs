using System.Collections.Immutable;
using FluentAttrib.Core;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Gradient SHAP (Lundberg and Lee, 2017): the expected gradient at a random point between a baseline drawn from a
/// distribution and the input with Gaussian noise added, times (noisy input − baseline). Equal in expectation to
/// Captum's <c>GradientShap</c>: per example and sample, noise ~ N(0, σ²) per element, one baseline drawn uniformly
/// (independently per input), one α ~ U(0, 1) shared by the inputs; the attribution is the mean over the samples.
/// The delta has one entry per (example, sample), example-major. Unlike Captum it can split the samples over
/// several passes (<see cref="InternalBatchSize"/>) and draw them from a seeded generator (<see cref="Seed"/>).
/// </summary>
public sealed record GradientShap : AttributionMethod
{
    private GradientShap() { }

    /// <summary>5 samples, no noise, a single all-zero baseline, multiplied by inputs, no delta.</summary>
    public static GradientShap Default { get; } = new();

    /// <summary>The default method with <paramref name="samples"/> samples per example.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samples"/> is less than 1.</exception>
    public static GradientShap Samples(int samples) => Default.WithSamples(samples);

    /// <summary>Random samples per example (Captum's <c>n_samples</c>). <value>The default value is 5.</value></summary>
    public int SampleCount { get; private init; } = 5;

    /// <summary>
    /// Standard deviation of the Gaussian noise added to the inputs: one value for every input, or one per input.
    /// <value>The default value is 0 (no noise).</value>
    /// </summary>
    public ValueList<double> StdDevs { get; private init; } = [0.0];

    /// <summary>
    /// The baseline distribution, one tensor per input with N ≥ 1 baselines along dimension 0; empty means a single
    /// all-zero baseline. <value>The default value is empty (a zero baseline).</value>
    /// </summary>
    public ValueList<Tensor> Distribution { get; private init; } = [];

    /// <summary>Examples (example × sample points) per forward/backward pass, or null to choose from the memory budget. <value>The default value is null.</value></summary>
    public int? InternalBatch { get; private init; }

    /// <summary>Seed of the generator noise, baselines and α are drawn from, or null for torch's default generator. <value>The default value is null.</value></summary>
    public long? RandomSeed { get; private init; }

    /// <summary>Whether gradients are multiplied by (noisy input − baseline). <value>The default value is true.</value></summary>
    public bool MultipliesByInputs { get; private init; } = true;

    /// <summary>Whether the convergence delta is computed. <value>The default value is false.</value></summary>
    public bool ReturnsDelta { get; private init; }

    /// <summary>Draws <paramref name="samples"/> samples per example.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samples"/> is less than 1.</exception>
    public GradientShap WithSamples(int samples)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        return this with { SampleCount = samples };
    }

    /// <summary>Adds Gaussian noise of standard deviation <paramref name="stdDev"/> to every input.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative, NaN or infinite.</exception>
    public GradientShap StdDev(double stdDev) => StdDev([stdDev]);

    /// <summary>Adds Gaussian noise with one standard deviation per input.</summary>
    /// <exception cref="ArgumentException">No value given.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value is negative, NaN or infinite.</exception>
    public GradientShap StdDev(params double[] stdDevs)
    {
        ArgumentNullException.ThrowIfNull(stdDevs);
        if (stdDevs.Length == 0) throw new ArgumentException("Give one standard deviation, or one per input.", nameof(stdDevs));
        foreach (var s in stdDevs)
            if (!(s >= 0) || double.IsInfinity(s))
                throw new ArgumentOutOfRangeException(nameof(stdDevs), s, "A standard deviation must be a finite number ≥ 0.");
        return this with { StdDevs = [.. stdDevs] };
    }

    /// <summary>
    /// Draws baselines from <paramref name="distribution"/>: one tensor per input, each with N ≥ 1 baselines along
    /// dimension 0 (the same N for every input).
    /// </summary>
    /// <exception cref="ArgumentException">No tensor, a scalar tensor, an empty distribution, or inputs with different N.</exception>
    public GradientShap Baselines(params Tensor[] distribution) =>
        this with { Distribution = DeepLiftShap.CheckDistribution(distribution, nameof(distribution), minimum: 1) };

    /// <summary>Evaluates at most <paramref name="examples"/> sample points per pass (whole samples of the batch; at least one sample).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="examples"/> is less than 1.</exception>
    public GradientShap InternalBatchSize(int examples)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(examples, 1);
        return this with { InternalBatch = examples };
    }

    /// <summary>Draws noise, baselines and α from a generator seeded with <paramref name="seed"/> (reproducible results).</summary>
    public GradientShap Seed(long seed) => this with { RandomSeed = seed };

    /// <summary>Returns gradient × (noisy input − baseline) (true) or the expected gradients alone (false).</summary>
    public GradientShap MultiplyByInputs(bool multiply = true) => this with { MultipliesByInputs = multiply };

    /// <summary>Also computes the convergence delta of every (example, sample).</summary>
    public GradientShap WithDelta(bool delta = true) => this with { ReturnsDelta = delta };

    /// <inheritdoc />
    public override string Name => nameof(GradientShap);

    /// <inheritdoc />
    public override string Describe() =>
        $"GradientShap({SampleCount} samples, σ {string.Join("/", StdDevs)}, " +
        $"{((Distribution.Length == 0) ? "zero baseline" : $"{Distribution[0].shape[0]} baselines")}{(RandomSeed is { } s ? $", seed {s}" : "")})";

    internal override Attribution Attribute(AttributionContext context)
    {
        var inputs = context.Inputs;
        long batch = context.BatchSize;
        int n = SampleCount;
        if (StdDevs.Length != 1 && StdDevs.Length != inputs.Length)
            throw new ArgumentException($"{StdDevs.Length} standard deviations were given for {inputs.Length} inputs; give one, or one per input.", "stdDevs");
        using var scope = NewDisposeScope();
        var distribution = (Distribution.Length == 0)
            ? inputs.Select(x => zeros([1, .. x.shape.AsSpan(1)], dtype: x.dtype, device: x.device)).ToArray()
            : DeepLiftShap.FitDistribution(Distribution, inputs, Name);
        var device = inputs[0].device;
        using var generator = RandomSeed is { } seed ? new Generator(unchecked((ulong)seed), device) : null;

        // All randomness up front, so results do not depend on how the samples are split into passes.
        var noise = new Tensor[inputs.Length];
        var picks = new Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            double sd = StdDevs.Length == 1 ? StdDevs[0] : StdDevs[i];
            var x = inputs[i];
            noise[i] = randn([batch, n, .. x.shape.AsSpan(1)], dtype: x.dtype, device: x.device, generator: generator) * sd;
            picks[i] = randint(distribution[i].shape[0], [batch, n], dtype: ScalarType.Int64, device: device, generator: generator);
        }
        var alphas = rand([batch, n], dtype: inputs[0].dtype, device: device, generator: generator);

        int perPass = InternalBatch ?? BatchPlanner.ExamplesPerPass(context, inputs, withGradients: true);
        var totals = inputs.Select(x => zeros_like(x)).ToArray();
        var deltas = new List<Tensor>();
        int done = 0;
        foreach (var (start, end) in StepChunks.Split(n, batch, perPass))
        {
            context.ThrowIfCancelled();
            using var chunkScope = NewDisposeScope();
            int m = end - start;
            var noisy = new Tensor[inputs.Length];
            var drawn = new Tensor[inputs.Length];
            var points = new Tensor[inputs.Length];
            var alpha = alphas[.., start..end].reshape(-1);
            for (int i = 0; i < inputs.Length; i++)
            {
                var x = inputs[i];
                noisy[i] = (x.unsqueeze(1) + noise[i][.., start..end]).reshape([batch * m, .. x.shape.AsSpan(1)]);
                drawn[i] = distribution[i].index_select(0, picks[i][.., start..end].reshape(-1));
                var a = alpha.reshape([batch * m, .. Enumerable.Repeat(1L, (int)x.dim() - 1)]);
                points[i] = a * noisy[i] + (1.0 - a) * drawn[i];
            }
            var chunk = context.With(points, context.Target.Expand(m, interleave: true),
                Core.Rules.DeepLiftEngine.RepeatInterleave(context.AdditionalArgs, batch, m));
            var (grads, _) = Gradients.Compute(chunk, points, chunk.Target);
            var attributions = grads.Select((g, i) => MultipliesByInputs ? (noisy[i] - drawn[i]) * g : g).ToArray();
            for (int i = 0; i < inputs.Length; i++)
                totals[i].add_(attributions[i].reshape([batch, m, .. inputs[i].shape.AsSpan(1)]).sum(dim: 1));
            if (ReturnsDelta)
                deltas.Add(Convergence.Delta(chunk, attributions, drawn, noisy, chunk.Target).reshape(batch, m).MoveToOuterDisposeScope());
            done += m;
            context.Report(Name, done, n);
        }
        var values = totals.Select(t => (t / n).MoveToOuterDisposeScope()).ToArray();
        var delta = ReturnsDelta ? cat(deltas, 1).reshape(-1).MoveToOuterDisposeScope() : null;
        return Result(context, values, delta);
    }
}
