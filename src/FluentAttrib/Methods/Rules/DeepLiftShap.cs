using System.Collections.Immutable;
using FluentAttrib.Core;
using FluentAttrib.Core.Rules;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// DeepLift SHAP: DeepLift of every example against every baseline of a distribution, averaged over the
/// baselines (Lundberg and Lee, 2017). Deterministic. Equal to Captum's <c>DeepLiftShap</c>; the delta has one entry
/// per (example, baseline) pair, example-major. See <see cref="DeepLift"/> for the rules and the model contract.
/// Create one with <see cref="Baselines(Tensor[])"/>.
/// </summary>
public sealed record DeepLiftShap : AttributionMethod
{
    private DeepLiftShap(ImmutableArray<Tensor> distribution) => Distribution = distribution;

    /// <summary>
    /// DeepLift SHAP against <paramref name="distribution"/>: one tensor per input, each holding N ≥ 2 baseline
    /// examples along dimension 0 (shape (N, ...) with the input's shape after the batch dimension); every input's
    /// tensor has the same N.
    /// </summary>
    /// <exception cref="ArgumentException">No tensor, a scalar tensor, fewer than 2 baselines, or inputs with different N.</exception>
    public static DeepLiftShap Baselines(params Tensor[] distribution) => new(CheckDistribution(distribution, nameof(distribution)));

    /// <summary>The baseline distribution, one tensor per input (N examples each).</summary>
    public ValueList<Tensor> Distribution { get; }

    /// <summary>Whether multipliers are multiplied by (input − baseline). <value>The default value is true.</value></summary>
    public bool MultipliesByInputs { get; private init; } = true;

    /// <summary>|Δin| below which a rule falls back to the plain gradient. <value>The default value is 1e-10.</value></summary>
    public double Eps { get; private init; } = 1e-10;

    /// <summary>Whether the convergence delta (one per example and baseline) is computed. <value>The default value is false.</value></summary>
    public bool ReturnsDelta { get; private init; }

    /// <summary>A function that replaces multipliers × (input − baseline), or null. <value>The default value is null.</value></summary>
    public DeepLiftAttributionFunction? CustomAttributionFunction { get; private init; }

    /// <summary>Whether Captum's behaviours are reproduced (see <see cref="DeepLift.ReproducesCaptumQuirks"/>). <value>The default value is true.</value></summary>
    public bool ReproducesCaptumQuirks { get; private init; } = true;

    /// <summary>Whether nonlinear modules without a rule are treated as linear. <value>The default value is false.</value></summary>
    public bool TreatsUnsupportedAsLinear { get; private init; }

    /// <summary>Returns multipliers × (input − baseline) (true) or the multipliers alone (false), averaged over baselines.</summary>
    public DeepLiftShap MultiplyByInputs(bool multiply = true) => this with { MultipliesByInputs = multiply };

    /// <summary>Sets the |Δin| threshold below which rules use the plain gradient.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="eps"/> is negative, NaN or infinite.</exception>
    public DeepLiftShap WithEps(double eps) => this with { Eps = DeepLift.CheckEps(eps) };

    /// <summary>Also computes the convergence delta of every (example, baseline) pair.</summary>
    public DeepLiftShap WithDelta(bool delta = true) => this with { ReturnsDelta = delta };

    /// <summary>Computes each pair's attributions with <paramref name="function"/> before averaging.</summary>
    public DeepLiftShap CustomAttribution(DeepLiftAttributionFunction function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return this with { CustomAttributionFunction = function };
    }

    /// <summary>Reproduces Captum's hook-order and max-pool fallback behaviours (true) or uses the textbook rules (false).</summary>
    public DeepLiftShap CaptumQuirks(bool reproduce = true) => this with { ReproducesCaptumQuirks = reproduce };

    /// <summary>Treats nonlinear modules without a rule as linear, as Captum does.</summary>
    public DeepLiftShap TreatUnsupportedAsLinear(bool linear = true) => this with { TreatsUnsupportedAsLinear = linear };

    /// <inheritdoc />
    public override string Name => nameof(DeepLiftShap);

    /// <inheritdoc />
    public override string Describe() => $"DeepLiftShap({Distribution[0].shape[0]} baselines{(MultipliesByInputs ? "" : ", multipliers only")})";

    internal static ImmutableArray<Tensor> CheckDistribution(Tensor[] distribution, string paramName, int minimum = 2)
    {
        ArgumentNullException.ThrowIfNull(distribution, paramName);
        if (distribution.Length == 0) throw new ArgumentException("Give one baseline distribution tensor per input.", paramName);
        for (int i = 0; i < distribution.Length; i++)
        {
            var d = distribution[i] ?? throw new ArgumentNullException(paramName, $"Baseline distribution {i} is null.");
            if (d.dim() == 0)
                throw new ArgumentException($"Baseline distribution {i} is a scalar; it needs the baselines along dimension 0.", paramName);
            if (d.shape[0] < minimum)
                throw new ArgumentException(
                    minimum == 2
                        ? $"Baseline distribution {i} holds {d.shape[0]} baseline; DeepLiftShap needs at least 2 (use DeepLift for a single baseline)."
                        : $"Baseline distribution {i} holds no baseline.",
                    paramName);
            if (d.shape[0] != distribution[0].shape[0])
                throw new ArgumentException(
                    $"Baseline distribution {i} holds {d.shape[0]} baselines but distribution 0 holds {distribution[0].shape[0]}; every input needs the same number.",
                    paramName);
        }
        return [.. distribution];
    }

    /// <summary>Checks the distribution against the inputs and returns it in the inputs' dtype and device.</summary>
    internal static Tensor[] FitDistribution(ImmutableArray<Tensor> distribution, IReadOnlyList<Tensor> inputs, string method)
    {
        if (distribution.Length != inputs.Count)
            throw new ArgumentException($"{method} got {distribution.Length} baseline distributions for {inputs.Count} inputs; give one per input.", "baselines");
        var result = new Tensor[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            var d = distribution[i];
            if (!d.shape.AsSpan(1).SequenceEqual(inputs[i].shape.AsSpan(1)))
                throw new ArgumentException(
                    $"Baseline distribution {i} has shape {Shapes.Format(d.shape)}; its examples must have the shape of input {i}'s examples, {Shapes.Format(inputs[i].shape.AsSpan(1))}.",
                    "baselines");
            result[i] = d.to(inputs[i].dtype, inputs[i].device);
        }
        return result;
    }

    internal override Attribution Attribute(AttributionContext context)
    {
        using var scope = NewDisposeScope();
        var pairs = BaselinePairs.Expand(context, Distribution, Name);
        Tensor[] attributions;
        using (var session = DeepLiftEngine.Open(pairs.Context, Name, new(Eps, ReproducesCaptumQuirks, TreatsUnsupportedAsLinear)))
        {
            context.ThrowIfCancelled();
            var multipliers = DeepLiftEngine.Multipliers(pairs.Context, session, pairs.Inputs, pairs.Baselines);
            attributions = DeepLiftEngine.Attributions(multipliers, pairs.Inputs, pairs.Baselines, MultipliesByInputs, CustomAttributionFunction, Name);
        }
        context.Report(Name, 1, 1);
        var values = attributions.Select(a => pairs.Mean(a).MoveToOuterDisposeScope()).ToArray();
        Tensor? delta = ReturnsDelta
            ? Convergence.Delta(pairs.Context, attributions, pairs.Baselines, pairs.Inputs, pairs.Context.Target).MoveToOuterDisposeScope()
            : null;
        return Result(context, values, delta);
    }
}

/// <summary>
/// Every example paired with every baseline of a distribution, example-major (Captum's <c>repeat_interleave</c> of
/// the inputs and <c>repeat</c> of the baselines), with the context (targets, additional arguments) expanded to match.
/// Shared by DeepLiftShap and its layer and neuron forms.
/// </summary>
internal sealed record BaselinePairs(Tensor[] Inputs, Tensor[] Baselines, AttributionContext Context, long Batch, int Count)
{
    public static BaselinePairs Expand(AttributionContext context, ImmutableArray<Tensor> distribution, string method)
    {
        long batch = context.BatchSize;
        var fitted = DeepLiftShap.FitDistribution(distribution, context.Inputs, method);
        int n = (int)fitted[0].shape[0];
        var inputs = context.Inputs.Select(x => x.repeat_interleave(n, dim: 0)).ToArray();
        var baselines = fitted.Select(d => d.repeat([batch, .. Enumerable.Repeat(1L, (int)d.dim() - 1)])).ToArray();
        var expanded = context.With(inputs, context.Target.Expand(n, interleave: true),
            DeepLiftEngine.RepeatInterleave(context.AdditionalArgs, batch, n));
        return new(inputs, baselines, expanded, batch, n);
    }

    /// <summary>The mean over each example's baselines of a (batch · count, ...) tensor.</summary>
    public Tensor Mean(Tensor perPair) => perPair.reshape([Batch, Count, .. perPair.shape.AsSpan(1)]).mean([1L]);
}
