using FluentAttrib.Core;
using FluentAttrib.Core.Perturbation;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Shapley value sampling (Castro et al., 2009): draws random orders of the features, adds the features one by one
/// to the all-baseline input and credits each with its marginal gain F(S ∪ {f}) − F(S), averaged over the orders.
/// Equal in distribution to Captum's <c>ShapleyValueSampling</c> (n·samples + 1 evaluations of the batch).
/// Features come from the feature mask as in <see cref="FeatureAblation"/>. Attributions have the model output's
/// floating dtype.
/// Without a target (<see cref="Target.None"/>) the attributions keep the model output's non-batch dimensions in
/// front of the input's, as Captum's do: a model returning (B, 1) gives (B, 1, ...) attributions.
/// </summary>
public sealed record ShapleyValueSampling : AttributionMethod
{
    private ShapleyValueSampling() { }

    /// <summary>25 random orders, every scalar its own feature, baseline 0, torch's default random generator.</summary>
    public static ShapleyValueSampling Default { get; } = new();

    /// <summary>The default method with <paramref name="samples"/> random feature orders.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samples"/> is less than 1.</exception>
    public static ShapleyValueSampling Samples(int samples) => Default.WithSamples(samples);

    /// <summary>Number of random feature orders averaged. <value>The default value is 25.</value></summary>
    public int SampleCount { get; private init; } = 25;

    /// <summary>
    /// Groups of elements that act as one player, or null for one feature per scalar.
    /// <value>The default value is null.</value>
    /// </summary>
    public FeatureMask? FeatureMask { get; private init; }

    /// <summary>Values of the features not yet added. <value>The default value is zero.</value></summary>
    public Baselines Baselines { get; private init; } = Baselines.Zero;

    /// <summary>
    /// Seed of the generator the orders are drawn from, or null for torch's default generator.
    /// <value>The default value is null.</value>
    /// </summary>
    public long? RandomSeed { get; private init; }

    /// <summary>
    /// Perturbed copies of the batch evaluated per forward pass, or null to choose from the memory budget.
    /// <value>The default value is null.</value>
    /// </summary>
    public int? PerturbationsPerPass { get; private init; }

    /// <summary>Averages over <paramref name="samples"/> random feature orders (Captum's <c>n_samples</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samples"/> is less than 1.</exception>
    public ShapleyValueSampling WithSamples(int samples)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        return this with { SampleCount = samples };
    }

    /// <summary>Uses the groups that <paramref name="featureMask"/> defines as players (see <see cref="FeatureAblation.Mask"/>).</summary>
    public ShapleyValueSampling Mask(FeatureMask featureMask)
    {
        ArgumentNullException.ThrowIfNull(featureMask);
        return this with { FeatureMask = featureMask };
    }

    /// <summary>Gives features not yet added the values <paramref name="baselines"/> (scalar, broadcastable tensor, or one per input).</summary>
    public ShapleyValueSampling Baseline(Baselines baselines)
    {
        ArgumentNullException.ThrowIfNull(baselines);
        return this with { Baselines = baselines };
    }

    /// <summary>Draws the orders from a generator seeded with <paramref name="seed"/> (same seed, same result).</summary>
    public ShapleyValueSampling Seed(long seed) => this with { RandomSeed = seed };

    /// <summary>Evaluates <paramref name="perturbations"/> perturbed copies of the batch per forward pass.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="perturbations"/> is less than 1.</exception>
    public ShapleyValueSampling PerturbationsPerEval(int perturbations)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perturbations, 1);
        return this with { PerturbationsPerPass = perturbations };
    }

    /// <inheritdoc />
    public override string Name => nameof(ShapleyValueSampling);

    /// <inheritdoc />
    public override string Describe() =>
        $"ShapleyValueSampling({SampleCount} samples, {(FeatureMask is null ? "every scalar" : "feature mask")}, baselines {Baselines}{(RandomSeed is { } s ? $", seed {s}" : "")})";

    internal override Attribution Attribute(AttributionContext context)
    {
        var inputs = context.Inputs;
        using var scope = NewDisposeScope();
        var groups = FeatureGroups.Of(FeatureMask, inputs);
        var baselines = Baselines.MaterializeAll(inputs);
        var device = inputs[0].device;
        long n = groups.Count, samples = SampleCount;
        long total = 1 + samples * n;
        if (total > int.MaxValue)
            throw new ArgumentException($"{samples} samples of {n} features are too many evaluations; group the features with Mask(...).", "featureMask");

        // order[s, t] = feature added at step t of sample s; rank[s, f] = step at which feature f is added.
        Tensor rank;
        using (var generator = RandomPermutations.CreateGenerator(RandomSeed, device))
            rank = RandomPermutations.Draw(samples, n, device, generator).argsort(dim: 1);

        // Perturbation 0 is the all-baseline batch; perturbation 1 + s·n + t has the first t + 1 features of order s.
        int perPass = PerturbationEngine.PerturbationsPerPass(context, PerturbationsPerPass);
        var outputs = PerturbationEngine.Evaluate(context, Name, (int)total, perPass, (start, k) =>
        {
            var q = arange(start - 1, start - 1 + k, dtype: ScalarType.Int64, device: device);
            var sample = q.clamp_min(0).div(n, rounding_mode: RoundingMode.floor);
            var step = where(q.ge(0), q.remainder(n), full_like(q, -1));
            var added = rank.index_select(0, sample).le(step.unsqueeze(1));
            var absent = added.logical_not();
            return inputs.Select((x, i) => PerturbationEngine.Replace(x, baselines[i].unsqueeze(0), groups.Select(absent, i), k)).ToArray();
        }, out var outputShape);

        long batch = context.BatchSize;
        var path = outputs[1..].reshape(samples, n, batch);
        var previous = cat([outputs[0].expand(samples, 1, batch), path.narrow(1, 0, n - 1)], 1);
        var gains = (path - previous).to(ScalarType.Float64);                          // gain of step t of sample s
        var perFeature = gains.gather(1, rank.unsqueeze(2).expand(samples, n, batch)); // gain of feature f of sample s
        var phi = perFeature.mean(new long[] { 0 }).to(outputs.dtype);
        var values = ShapleyValues.CaptumShape(context, groups.Scatter(phi), outputShape).Select(v => v.MoveToOuterDisposeScope()).ToArray();
        return Result(context, values);
    }
}
