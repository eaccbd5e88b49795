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
public sealed record ShapleyValueSampling : AttributionMethod,
    ISamplesSetting, IBaselineSetting, IMaskSetting, ISeedSetting, IPerturbationsPerPassSetting
{
    private ShapleyValueSampling(SettingValues values) : base(values) { }

    /// <summary>
    /// <see cref="Defaults.ShapleyValueSamplingSamples"/> random orders, every scalar its own feature, baseline 0,
    /// torch's default random generator, passes planned from the memory budget.
    /// </summary>
    public static ShapleyValueSampling Default { get; } = new(new SettingValues { Samples = Defaults.ShapleyValueSamplingSamples });

    /// <summary>The default method averaging over <paramref name="samples"/> random feature orders (<see cref="MethodSettingExtensions.Samples{TMethod}"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samples"/> is less than 1.</exception>
    public static ShapleyValueSampling Samples(int samples) => Default.Samples(samples);

    /// <summary>The method's settings, read back by name (<c>Settings.Samples</c>).</summary>
    public MethodSettings<ShapleyValueSampling> Settings => new(Values);


    /// <inheritdoc />
    public override string Describe() =>
        $"ShapleyValueSampling({Values.Samples} samples, {(Values.Mask is null ? "every scalar" : "feature mask")}, baselines {Values.Baseline}{(Values.Seed is { } s ? $", seed {s}" : "")})";

    internal override Attribution Attribute(AttributionContext context)
    {
        var inputs = context.Inputs;
        using var scope = NewDisposeScope();
        var groups = FeatureGroups.Of(Values.Mask, inputs);
        var baselines = Values.Baseline.MaterializeAll(inputs, context.Checks);
        var device = inputs[0].device;
        long n = groups.Count, samples = Values.Samples;
        long total = 1 + samples * n;
        if (total > int.MaxValue)
            throw new ArgumentException($"{samples} samples of {n} features are too many evaluations; group the features with Mask(...).", "featureMask");

        // order[s, t] = feature added at step t of sample s; rank[s, f] = step at which feature f is added.
        Tensor rank;
        using (var generator = RandomPermutations.CreateGenerator(Values.Seed, device))
            rank = RandomPermutations.Draw(samples, n, device, generator).argsort(dim: 1);

        // Perturbation 0 is the all-baseline batch; perturbation 1 + s·n + t has the first t + 1 features of order s.
        var perPass = PerturbationEngine.PerturbationsPerPass(context, Values.PerturbationsPerPass);
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
        var values = ShapleyShapes.CaptumShape(context, groups.Scatter(phi), outputShape).Select(v => v.MoveToOuterDisposeScope()).ToArray();
        return Result(context, values);
    }
}
