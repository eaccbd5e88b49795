using System.Collections.Immutable;
using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// GradientSHAP at a layer (Lundberg and Lee, 2017): for each sample, noise is added to the input, a baseline is drawn
/// from the baseline distribution and a point is drawn uniformly between them; the attribution is the mean over
/// samples of (layer(noisy input) − layer(baseline)) × ∂F/∂layer(point). Stochastic (torch's random generator: seed it
/// with <c>torch.manual_seed</c>). Captum's <c>LayerGradientShap</c>.
/// </summary>
public sealed record LayerGradientShap : LayerAttributionMethod
{
    private LayerGradientShap() { }

    /// <summary>5 samples, no noise, a zero baseline, multiplied by the layer difference, no delta.</summary>
    public static LayerGradientShap Default { get; } = new();

    /// <summary>The default method with <paramref name="distribution"/> as baselines.</summary>
    public static LayerGradientShap From(Baselines distribution) => Default.Baseline(distribution);

    /// <summary>
    /// Baseline distribution in input space: a tensor of N rows (N, ...) per input, or a scalar.
    /// <value>The default value is zero.</value>
    /// </summary>
    public Baselines Baselines { get; private init; } = Baselines.Zero;

    /// <summary>Samples per example. <value>The default value is 5.</value></summary>
    public int SampleCount { get; private init; } = 5;

    /// <summary>Standard deviation of the input noise, one or one per input. <value>The default value is 0.</value></summary>
    public ValueList<double> StdDevs { get; private init; } = [0.0];

    /// <summary>Whether gradients are multiplied by the layer difference. <value>The default value is true.</value></summary>
    public bool MultipliesByInputs { get; private init; } = true;

    /// <summary>Whether the convergence delta (one per sample, example-major) is computed. <value>The default value is false.</value></summary>
    public bool ReturnsDelta { get; private init; }

    /// <summary>Draws baselines from <paramref name="distribution"/>.</summary>
    public LayerGradientShap Baseline(Baselines distribution)
    {
        ArgumentNullException.ThrowIfNull(distribution);
        return this with { Baselines = distribution };
    }

    /// <summary>Uses <paramref name="samples"/> samples per example.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public LayerGradientShap Samples(int samples)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        return this with { SampleCount = samples };
    }

    /// <summary>Adds Gaussian noise of standard deviation <paramref name="stdevs"/> (one, or one per input).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative or non-finite value.</exception>
    public LayerGradientShap StdDev(params double[] stdevs) => this with { StdDevs = [.. ShapSampling.CheckStdevs(stdevs, nameof(stdevs))] };

    /// <summary>Returns layer difference × gradients (true) or the gradients alone (false).</summary>
    public LayerGradientShap MultiplyByInputs(bool multiply = true) => this with { MultipliesByInputs = multiply };

    /// <summary>Also computes the convergence delta per sample.</summary>
    public LayerGradientShap WithDelta(bool delta = true) => this with { ReturnsDelta = delta };

    /// <inheritdoc />
    public override string Name => nameof(LayerGradientShap);

    /// <inheritdoc />
    public override string Describe() => $"{Name}({SampleCount} samples, noise {string.Join("/", StdDevs)}, baselines {Baselines})";

    internal override Attribution Attribute(LayerContext context)
    {
        var run = context.Run;
        var inputs = run.Inputs;
        long batch = run.BatchSize;
        if (StdDevs.Length != 1 && StdDevs.Length != inputs.Length)
            throw new ArgumentException($"{StdDevs.Length} noise levels were given for {inputs.Length} inputs.", "stdevs");
        using var outer = NewDisposeScope();
        var distributions = ShapSampling.Distributions(Baselines, inputs);
        int perChunk = Math.Max(1, PathSteps.PerPass(run, inputs, null) / (int)Math.Max(1, batch));
        Tensor? sum = null;
        var deltas = new List<Tensor>();
        for (int start = 0; start < SampleCount; start += perChunk)
        {
            run.ThrowIfCancelled();
            using var scope = NewDisposeScope();
            int s = Math.Min(perChunk, SampleCount - start);
            var (noisy, drawn, points) = ShapSampling.Draw(inputs, distributions, s, StdDevs);
            var target = run.Target.Expand(s, interleave: true);
            var (grads, _, _) = LayerProbe.Gradients(run, points, context.Layers, context.ToInput, target, s, interleave: true);
            var attr = grads[0];
            if (MultipliesByInputs)
            {
                var (atNoisy, _) = LayerProbe.Evaluate(run, noisy, context.Layers, context.ToInput, s, interleave: true);
                var (atDrawn, _) = LayerProbe.Evaluate(run, drawn, context.Layers, context.ToInput, s, interleave: true);
                attr = (atNoisy[0] - atDrawn[0]) * attr;
            }
            var rest = attr.shape.AsSpan(1).ToArray();
            var part = attr.reshape([batch, s, .. rest]).sum(dim: 1);
            sum = sum is null ? part.MoveToOuterDisposeScope() : sum.add_(part);
            if (ReturnsDelta)
            {
                var end = run.ForwardSelected(noisy, target, s, interleave: true);
                var begin = run.ForwardSelected(drawn, target, s, interleave: true);
                var d = attr.reshape(batch * s, -1).sum(dim: 1) - (end - begin).to(attr.dtype);
                deltas.Add(d.reshape(batch, s).MoveToOuterDisposeScope());
            }
            run.Report(Name, start + s, SampleCount);
        }
        var mean = (sum! / SampleCount).MoveToOuterDisposeScope();
        var delta = ReturnsDelta ? cat(deltas.ToArray(), 1).reshape(batch * SampleCount).MoveToOuterDisposeScope() : null;
        return Result(context, [mean], delta);
    }
}
