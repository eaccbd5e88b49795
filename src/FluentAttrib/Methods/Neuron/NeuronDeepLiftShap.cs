using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using FluentAttrib.Core.Rules;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// <see cref="NeuronDeepLift"/> of every example against every baseline of a distribution, averaged over the
/// baselines. Equal to Captum's <c>NeuronDeepLiftShap</c>. Create one with <see cref="BaselineDistribution(Tensor[])"/>.
/// </summary>
public sealed record NeuronDeepLiftShap : NeuronAttributionMethod,
    IBaselineDistributionSetting, IMultiplyByInputsSetting, IDeepLiftSetting
{
    private NeuronDeepLiftShap() : base(new SettingValues()) { }

    /// <summary>
    /// No distribution yet: the starting point of <see cref="BaselineDistribution(Tensor[])"/>. Multiplied by inputs,
    /// eps <see cref="Defaults.Eps"/>, Captum's quirks reproduced, unsupported nonlinearities refused.
    /// </summary>
    private static NeuronDeepLiftShap Empty { get; } = new();

    /// <summary>
    /// Neuron DeepLift SHAP against <paramref name="distribution"/>: one tensor per input, each with N ≥ 2 baselines
    /// along dimension 0 (the same N for every input). The instance setter of the same name
    /// (<see cref="MethodSettingExtensions.BaselineDistribution{TMethod}"/>) replaces it; the distribution is checked
    /// again when attributing.
    /// </summary>
    /// <exception cref="ArgumentException">No tensor, a scalar tensor, fewer than 2 baselines, or inputs with different N.</exception>
    public static NeuronDeepLiftShap BaselineDistribution(params Tensor[] distribution) =>
        MethodSettingExtensions.BaselineDistribution(Empty, [.. BaselineDistributions.Check(distribution, nameof(distribution))]);

    /// <summary>The method's settings, read back by name (<c>Settings.BaselineDistribution</c>, <c>Settings.Eps</c>, ...).</summary>
    public MethodSettings<NeuronDeepLiftShap> Settings => new(Values);


    /// <inheritdoc />
    public override string Describe() => BaselineDistributions.Describe(Name, Values);

    internal override Attribution Attribute(NeuronContext context)
    {
        using var scope = NewDisposeScope();
        var v = Values;
        var pairs = BaselinePairs.Expand(context.Run, v.BaselineDistribution, Name);
        var expanded = new NeuronContext { Run = pairs.Context, Layer = context.Layer, ToInput = context.ToInput, Selector = context.Selector };
        var attributions = NeuronDeepLiftComputation.Compute(expanded, pairs.Inputs, pairs.Baselines, DeepLiftEngine.Options.Of(v),
            v.MultiplyByInputs, v.CustomAttribution, Name);
        context.Run.Report(Name, 1, 1);
        var values = attributions.Select(a => pairs.Mean(a).MoveToOuterDisposeScope()).ToArray();
        return Result(context, values);
    }
}
