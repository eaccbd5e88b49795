using FluentAttrib.Core;
using System.Collections.Immutable;
using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// GradientSHAP of a neuron: the mean over samples of (noisy input − drawn baseline) × ∂neuron/∂x at a random point
/// between them. Stochastic (torch's random generator). Captum's <c>NeuronGradientShap</c>.
/// </summary>
public sealed record NeuronGradientShap : NeuronAttributionMethod
{
    private NeuronGradientShap() { }

    /// <summary>5 samples, no noise, a zero baseline, multiplied by inputs.</summary>
    public static NeuronGradientShap Default { get; } = new();

    /// <summary>The default method with <paramref name="distribution"/> as baselines.</summary>
    public static NeuronGradientShap From(Baselines distribution) => Default.Baseline(distribution);

    /// <summary>Baseline distribution: a tensor of N rows (N, ...) per input, or a scalar. <value>The default value is zero.</value></summary>
    public Baselines Baselines { get; private init; } = Baselines.Zero;

    /// <summary>Samples per example. <value>The default value is 5.</value></summary>
    public int SampleCount { get; private init; } = 5;

    /// <summary>Standard deviation of the input noise, one or one per input. <value>The default value is 0.</value></summary>
    public ValueList<double> StdDevs { get; private init; } = [0.0];

    /// <summary>Whether gradients are multiplied by (input − baseline). <value>The default value is true.</value></summary>
    public bool MultipliesByInputs { get; private init; } = true;

    /// <summary>Draws baselines from <paramref name="distribution"/>.</summary>
    public NeuronGradientShap Baseline(Baselines distribution)
    {
        ArgumentNullException.ThrowIfNull(distribution);
        return this with { Baselines = distribution };
    }

    /// <summary>Uses <paramref name="samples"/> samples per example.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public NeuronGradientShap Samples(int samples)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        return this with { SampleCount = samples };
    }

    /// <summary>Adds Gaussian noise of standard deviation <paramref name="stdevs"/> (one, or one per input).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative or non-finite value.</exception>
    public NeuronGradientShap StdDev(params double[] stdevs) => this with { StdDevs = [.. ShapSampling.CheckStdevs(stdevs, nameof(stdevs))] };

    /// <summary>Returns (input − baseline) × gradients (true) or the gradients alone (false).</summary>
    public NeuronGradientShap MultiplyByInputs(bool multiply = true) => this with { MultipliesByInputs = multiply };

    /// <inheritdoc />
    public override string Name => nameof(NeuronGradientShap);

    /// <inheritdoc />
    public override string Describe() => $"{Name}({SampleCount} samples, noise {string.Join("/", StdDevs)}, baselines {Baselines})";

    internal override Attribution Attribute(NeuronContext context)
    {
        var run = context.Run;
        var inputs = run.Inputs;
        long batch = run.BatchSize;
        LayerProbe.RequireFloatingInputs(inputs);
        if (StdDevs.Length != 1 && StdDevs.Length != inputs.Length)
            throw new ArgumentException($"{StdDevs.Length} noise levels were given for {inputs.Length} inputs.", "stdevs");
        using var outer = NewDisposeScope();
        var distributions = ShapSampling.Distributions(Baselines, inputs);
        int perChunk = Math.Max(1, PathSteps.PerPass(run, inputs, null) / (int)Math.Max(1, batch));
        var sums = inputs.Select(x => zeros_like(x)).ToArray();
        for (int start = 0; start < SampleCount; start += perChunk)
        {
            run.ThrowIfCancelled();
            using var scope = NewDisposeScope();
            int s = Math.Min(perChunk, SampleCount - start);
            var (noisy, drawn, points) = ShapSampling.Draw(inputs, distributions, s, StdDevs);
            var grads = LayerProbe.NeuronGradients(run, points, context.Layer, context.ToInput, context.Selector, s, interleave: true);
            for (int i = 0; i < inputs.Length; i++)
            {
                var attr = MultipliesByInputs ? (noisy[i] - drawn[i]) * grads[i] : grads[i];
                sums[i].add_(attr.reshape([batch, s, .. inputs[i].shape.AsSpan(1).ToArray()]).sum(dim: 1));
            }
            run.Report(Name, start + s, SampleCount);
        }
        var values = sums.Select(t => (t / SampleCount).MoveToOuterDisposeScope()).ToArray();
        return Result(context, values);
    }
}
