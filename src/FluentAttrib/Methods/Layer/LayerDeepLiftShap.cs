using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using FluentAttrib.Core.Rules;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// <see cref="LayerDeepLift"/> of every example against every baseline of a distribution, averaged over the
/// baselines. Equal to Captum's <c>LayerDeepLiftShap</c>; the delta has one entry per (example, baseline),
/// example-major. Create one with <see cref="BaselineDistribution(Tensor[])"/>.
/// </summary>
public sealed record LayerDeepLiftShap : LayerAttributionMethod,
    IBaselineDistributionSetting, IMultiplyByInputsSetting, IDeltaSetting, IDeepLiftSetting
{
    private LayerDeepLiftShap() : base(new SettingValues()) { }

    /// <summary>
    /// No distribution yet: the starting point of <see cref="BaselineDistribution(Tensor[])"/>. Multiplied by the
    /// layer difference, eps <see cref="Defaults.Eps"/>, Captum's quirks reproduced, unsupported nonlinearities
    /// refused, no delta.
    /// </summary>
    private static LayerDeepLiftShap Empty { get; } = new();

    /// <summary>
    /// Layer DeepLift SHAP against <paramref name="distribution"/>: one tensor per model input, each with N ≥ 2
    /// baselines along dimension 0 (the same N for every input). The instance setter of the same name
    /// (<see cref="MethodSettingExtensions.BaselineDistribution{TMethod}"/>) replaces it; the distribution is checked
    /// again when attributing.
    /// </summary>
    /// <exception cref="ArgumentException">No tensor, a scalar tensor, fewer than 2 baselines, or inputs with different N.</exception>
    public static LayerDeepLiftShap BaselineDistribution(params Tensor[] distribution) =>
        MethodSettingExtensions.BaselineDistribution(Empty, [.. BaselineDistributions.Check(distribution, nameof(distribution))]);

    /// <summary>The method's settings, read back by name (<c>Settings.BaselineDistribution</c>, <c>Settings.Eps</c>, ...).</summary>
    public MethodSettings<LayerDeepLiftShap> Settings => new(Values);


    /// <inheritdoc />
    public override string Describe() => BaselineDistributions.Describe(Name, Values);

    internal override Attribution Attribute(LayerContext context)
    {
        using var scope = NewDisposeScope();
        var v = Values;
        var pairs = BaselinePairs.Expand(context.Run, v.BaselineDistribution, Name);
        var expanded = new LayerContext { Run = pairs.Context, Layers = context.Layers, ToInput = context.ToInput };
        var (attributions, delta) = LayerDeepLiftComputation.Compute(expanded, pairs.Inputs, pairs.Baselines, DeepLiftEngine.Options.Of(v),
            v.MultiplyByInputs, v.CustomAttribution, v.ReturnDelta, Name);
        context.Run.Report(Name, 1, 1);
        var mean = pairs.Mean(attributions);
        return Result(context, [mean.MoveToOuterDisposeScope()], delta?.MoveToOuterDisposeScope());
    }
}
