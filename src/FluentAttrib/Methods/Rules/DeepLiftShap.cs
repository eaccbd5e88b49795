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
        MethodSettingExtensions.BaselineDistribution(Empty, [.. BaselineDistributions.Check(distribution, nameof(distribution))]);

    /// <summary>The method's settings, read back by name (<c>Settings.BaselineDistribution</c>, <c>Settings.Eps</c>, ...).</summary>
    public MethodSettings<DeepLiftShap> Settings => new(Values);


    /// <inheritdoc />
    public override string Describe() => BaselineDistributions.Describe(Name, Values);

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
