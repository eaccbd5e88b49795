using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Gradient SHAP (Lundberg and Lee, 2017): the expected gradient at a random point between a baseline drawn from a
/// distribution and the input with Gaussian noise added, times (noisy input − baseline). Equal in expectation to
/// Captum's <c>GradientShap</c>: per example and sample, noise ~ N(0, σ²) per element, one baseline drawn uniformly
/// (independently per input), one α ~ U(0, 1) shared by the inputs; the attribution is the mean over the samples.
/// The delta has one entry per (example, sample), example-major. Every random number of a call is drawn up front, so
/// the result does not depend on the internal batch size or the memory budget; with a seed it is reproducible.
/// </summary>
public sealed record GradientShap : AttributionMethod,
    IBaselineDistributionSetting, ISamplesSetting, INoiseSetting, ISeedSetting, IInternalBatchSizeSetting, IMultiplyByInputsSetting, IDeltaSetting
{
    private GradientShap() : base(new SettingValues { Samples = Defaults.GradientShapSamples, StdDevs = [Defaults.GradientShapStdDev] }) { }

    /// <summary>
    /// <see cref="Defaults.GradientShapSamples"/> samples, noise <see cref="Defaults.GradientShapStdDev"/>, a single
    /// all-zero baseline, multiplied by inputs, no delta, torch's default generator, sample points per pass planned
    /// from the memory budget.
    /// </summary>
    public static GradientShap Default { get; } = new();

    /// <summary>The default method with <paramref name="samples"/> samples per example (<see cref="MethodSettingExtensions.Samples{TMethod}"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samples"/> is less than 1.</exception>
    public static GradientShap Samples(int samples) => Default.Samples(samples);

    /// <summary>The default method drawing baselines from <paramref name="distribution"/> (<see cref="MethodSettingExtensions.BaselineDistribution{TMethod}"/>).</summary>
    /// <exception cref="ArgumentException">No tensor given, a tensor is null, or a tensor has no rows.</exception>
    public static GradientShap BaselineDistribution(params Tensor[] distribution) => Default.BaselineDistribution(distribution);

    /// <summary>The method's settings, read back by name (<c>Settings.Samples</c>).</summary>
    public MethodSettings<GradientShap> Settings => new(Values);


    /// <inheritdoc />
    public override string Describe() =>
        $"GradientShap({Values.Samples} samples, σ {string.Join("/", Values.StdDevs)}, " +
        $"{((Values.BaselineDistribution.Length == 0) ? "zero baseline" : $"{Values.BaselineDistribution[0].shape[0]} baselines")}{(Values.Seed is { } s ? $", seed {s}" : "")})";

    internal override Attribution Attribute(AttributionContext context)
    {
        var v = Values;
        long batch = context.BatchSize;
        using var scope = NewDisposeScope();
        var (mean, delta) = ShapSampling.Attribute(context, v.BaselineDistribution, v.Samples, v.StdDevs, v.Seed, v.InternalBatchSize, Name, chunk =>
        {
            var sub = context.With(chunk.Points, chunk.Target, Core.Rules.DeepLiftEngine.RepeatInterleave(context.AdditionalArgs, batch, chunk.Samples));
            var (grads, _) = Gradients.Compute(sub, chunk.Points, chunk.Target);
            var attributions = grads.Select((g, i) => v.MultiplyByInputs ? (chunk.Noisy[i] - chunk.Drawn[i]) * g : g).ToArray();
            var d = v.ReturnDelta ? Convergence.Delta(sub, attributions, chunk.Drawn, chunk.Noisy, chunk.Target) : null;
            return (attributions, d);
        });
        return Result(context, mean.Select(t => t.MoveToOuterDisposeScope()).ToArray(), delta?.MoveToOuterDisposeScope());
    }
}
