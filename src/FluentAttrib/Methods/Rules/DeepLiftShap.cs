using System.Collections.Immutable;
using FluentAttrib.Core;
using FluentAttrib.Core.Rules;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// DeepLift SHAP: DeepLift of every example against every baseline of a distribution, averaged over the
/// baselines (Lundberg and Lee, 2017). Deterministic. Equal to Captum's <c>DeepLiftShap</c>; the delta has one entry
/// per (example, baseline) pair, example-major. See <see cref="DeepLift"/> for the rules and the model contract.
/// Create one with <see cref="BaselineDistribution(Tensor[])"/>.
/// </summary>
public sealed record DeepLiftShap : AttributionMethod,
    IBaselineDistributionSetting, IMultiplyByInputsSetting, IDeltaSetting, IDeepLiftSetting
{
    private DeepLiftShap() : base(new SettingValues()) { }

    /// <summary>
    /// No distribution yet: the starting point of <see cref="BaselineDistribution(Tensor[])"/>. Multiplied by inputs,
    /// eps <see cref="Defaults.Eps"/>, Captum's quirks reproduced, unsupported nonlinearities refused, no delta.
    /// </summary>
    private static DeepLiftShap Empty { get; } = new();

    /// <summary>
    /// DeepLift SHAP against <paramref name="distribution"/>: one tensor per input, each holding N ≥ 2 baseline
    /// examples along dimension 0 (shape (N, ...) with the input's shape after the batch dimension); every input's
    /// tensor has the same N. The instance setter of the same name
    /// (<see cref="MethodSettingExtensions.BaselineDistribution{TMethod}"/>) replaces it; the distribution is checked
    /// again when attributing.
    /// </summary>
    /// <exception cref="ArgumentException">No tensor, a scalar tensor, fewer than 2 baselines, or inputs with different N.</exception>
    public static DeepLiftShap BaselineDistribution(params Tensor[] distribution) =>
        MethodSettingExtensions.BaselineDistribution(Empty, [.. CheckDistribution(distribution, nameof(distribution))]);

    /// <summary>The method's settings, read back by name (<c>Settings.BaselineDistribution</c>, <c>Settings.Eps</c>, ...).</summary>
    public MethodSettings<DeepLiftShap> Settings => new(Values);


    /// <inheritdoc />
    public override string Describe() => DescribeDistribution(Name, Values);

    /// <summary>The name, the size of the distribution, and whether only multipliers are returned.</summary>
    internal static string DescribeDistribution(string name, SettingValues values) =>
        $"{name}({(values.BaselineDistribution.Length == 0 ? "no baseline distribution" : $"{values.BaselineDistribution[0].shape[0]} baselines")}" +
        $"{(values.MultiplyByInputs ? "" : ", multipliers only")})";

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
        var v = Values;
        var pairs = BaselinePairs.Expand(context, v.BaselineDistribution, Name);
        Tensor[] attributions;
        using (var session = DeepLiftEngine.Open(pairs.Context, Name, DeepLiftEngine.Options.Of(v)))
        {
            context.ThrowIfCancelled();
            var multipliers = DeepLiftEngine.Multipliers(pairs.Context, session, pairs.Inputs, pairs.Baselines);
            attributions = DeepLiftEngine.Attributions(multipliers, pairs.Inputs, pairs.Baselines, v.MultiplyByInputs, v.CustomAttribution, Name);
        }
        context.Report(Name, 1, 1);
        var values = attributions.Select(a => pairs.Mean(a).MoveToOuterDisposeScope()).ToArray();
        Tensor? delta = v.ReturnDelta
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
        if (distribution.IsDefaultOrEmpty)
            throw new ArgumentException($"{method} needs a baseline distribution: create it with {method}.BaselineDistribution(...).", "baselines");
        // The instance setter checks only that each tensor has examples; the pairing needs N ≥ 2, the same for every input.
        DeepLiftShap.CheckDistribution([.. distribution], "baselines");
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
