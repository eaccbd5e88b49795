using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// GradientSHAP of a neuron: the mean over samples of (noisy input − drawn baseline) × ∂neuron/∂x at a random point
/// between them. Every random number of a call is drawn up front (from a generator seeded with
/// <see cref="MethodSettingExtensions.Seed{TMethod}"/>, or torch's default generator), so the result does not depend
/// on the internal batch size or the memory budget. Captum's <c>NeuronGradientShap</c>.
/// </summary>
public sealed record NeuronGradientShap : NeuronAttributionMethod,
    IBaselineDistributionSetting, ISamplesSetting, INoiseSetting, ISeedSetting, IInternalBatchSizeSetting, IMultiplyByInputsSetting
{
    private NeuronGradientShap() : base(new SettingValues { Samples = Defaults.GradientShapSamples, StdDevs = [Defaults.GradientShapStdDev] }) { }

    /// <summary>
    /// <see cref="Defaults.GradientShapSamples"/> samples, noise <see cref="Defaults.GradientShapStdDev"/>, a zero
    /// baseline, multiplied by inputs, torch's default generator, sample points per pass planned from the memory budget.
    /// </summary>
    public static NeuronGradientShap Default { get; } = new();

    /// <summary>The default method with <paramref name="samples"/> samples per example (<see cref="MethodSettingExtensions.Samples{TMethod}"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samples"/> is less than 1.</exception>
    public static NeuronGradientShap Samples(int samples) => Default.Samples(samples);

    /// <summary>The default method drawing baselines from <paramref name="distribution"/> (<see cref="MethodSettingExtensions.BaselineDistribution{TMethod}"/>).</summary>
    /// <exception cref="ArgumentException">No tensor given, a tensor is null, or a tensor has no rows.</exception>
    public static NeuronGradientShap BaselineDistribution(params Tensor[] distribution) => Default.BaselineDistribution(distribution);

    /// <summary>The method's settings, read back by name (<c>Settings.Samples</c>).</summary>
    public MethodSettings<NeuronGradientShap> Settings => new(Values);


    /// <inheritdoc />
    public override string Describe() =>
        $"{Name}({Values.Samples} samples, noise {string.Join("/", Values.StdDevs)}, " +
        $"{(Values.BaselineDistribution.Length == 0 ? "zero baseline" : $"{Values.BaselineDistribution[0].shape[0]} baselines")}{(Values.Seed is { } s ? $", seed {s}" : "")})";

    internal override Attribution Attribute(NeuronContext context)
    {
        var run = context.Run;
        var v = Values;
        LayerProbe.RequireFloatingInputs(run.Inputs);
        using var outer = NewDisposeScope();
        var (mean, _) = ShapSampling.Attribute(run, v.BaselineDistribution, v.Samples, v.StdDevs, v.Seed, v.InternalBatchSize, Name, chunk =>
        {
            var grads = LayerProbe.NeuronGradients(run, chunk.Points, context.Layer, context.ToInput, context.Selector, chunk.Samples, interleave: true);
            var attributions = grads.Select((g, i) => v.MultiplyByInputs ? (chunk.Noisy[i] - chunk.Drawn[i]) * g : g).ToArray();
            return (attributions, null);
        });
        return Result(context, mean.Select(t => t.MoveToOuterDisposeScope()).ToArray());
    }
}
