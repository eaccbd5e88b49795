using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// GradientSHAP at a layer (Lundberg and Lee, 2017): for each sample, noise is added to the input, a baseline is drawn
/// from the baseline distribution and a point is drawn uniformly between them; the attribution is the mean over
/// samples of (layer(noisy input) − layer(baseline)) × ∂F/∂layer(point). Every random number of a call is drawn up
/// front (from a generator seeded with <see cref="MethodSettingExtensions.Seed{TMethod}"/>, or torch's default
/// generator), so the result does not depend on the internal batch size or the memory budget.
/// Captum's <c>LayerGradientShap</c>.
/// </summary>
public sealed record LayerGradientShap : LayerAttributionMethod,
    IBaselineDistributionSetting, ISamplesSetting, INoiseSetting, ISeedSetting, IInternalBatchSizeSetting, IMultiplyByInputsSetting, IDeltaSetting
{
    private LayerGradientShap() : base(new SettingValues { Samples = Defaults.GradientShapSamples, StdDevs = [Defaults.GradientShapStdDev] }) { }

    /// <summary>
    /// <see cref="Defaults.GradientShapSamples"/> samples, noise <see cref="Defaults.GradientShapStdDev"/>, a zero
    /// baseline, multiplied by the layer difference, no delta, torch's default generator, sample points per pass
    /// planned from the memory budget.
    /// </summary>
    public static LayerGradientShap Default { get; } = new();

    /// <summary>The default method with <paramref name="samples"/> samples per example (<see cref="MethodSettingExtensions.Samples{TMethod}"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samples"/> is less than 1.</exception>
    public static LayerGradientShap Samples(int samples) => Default.Samples(samples);

    /// <summary>The default method drawing baselines (in input space) from <paramref name="distribution"/> (<see cref="MethodSettingExtensions.BaselineDistribution{TMethod}"/>).</summary>
    /// <exception cref="ArgumentException">No tensor given, a tensor is null, or a tensor has no rows.</exception>
    public static LayerGradientShap BaselineDistribution(params Tensor[] distribution) => Default.BaselineDistribution(distribution);

    /// <summary>The method's settings, read back by name (<c>Settings.Samples</c>).</summary>
    public MethodSettings<LayerGradientShap> Settings => new(Values);


    /// <inheritdoc />
    public override string Describe() =>
        $"{Name}({Values.Samples} samples, noise {string.Join("/", Values.StdDevs)}, " +
        $"{(Values.BaselineDistribution.Length == 0 ? "zero baseline" : $"{Values.BaselineDistribution[0].shape[0]} baselines")}{(Values.Seed is { } s ? $", seed {s}" : "")})";

    internal override Attribution Attribute(LayerContext context)
    {
        var run = context.Run;
        var v = Values;
        using var outer = NewDisposeScope();
        var (mean, delta) = ShapSampling.Attribute(run, v.BaselineDistribution, v.Samples, v.StdDevs, v.Seed, v.InternalBatchSize, Name, chunk =>
        {
            int s = chunk.Samples;
            var (grads, _, _) = LayerProbe.Gradients(run, chunk.Points, context.Layers, context.ToInput, chunk.Target, s, interleave: true);
            var attr = grads[0];
            if (v.MultiplyByInputs)
            {
                var (atNoisy, _) = LayerProbe.Evaluate(run, chunk.Noisy, context.Layers, context.ToInput, s, interleave: true);
                var (atDrawn, _) = LayerProbe.Evaluate(run, chunk.Drawn, context.Layers, context.ToInput, s, interleave: true);
                attr = (atNoisy[0] - atDrawn[0]) * attr;
            }
            Tensor? d = null;
            if (v.ReturnDelta)
            {
                var end = run.ForwardSelected(chunk.Noisy, chunk.Target, s, interleave: true);
                var begin = run.ForwardSelected(chunk.Drawn, chunk.Target, s, interleave: true);
                d = attr.reshape(attr.shape[0], -1).sum(dim: 1) - (end - begin).to(attr.dtype);
            }
            return ([attr], d);
        });
        return Result(context, [mean[0].MoveToOuterDisposeScope()], delta?.MoveToOuterDisposeScope());
    }
}
