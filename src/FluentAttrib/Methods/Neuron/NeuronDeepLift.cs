using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using FluentAttrib.Core.Rules;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// DeepLift of one neuron of a layer with respect to the inputs: the neuron's DeepLift multipliers (see
/// <see cref="DeepLift"/>) times (input − baseline). Equal to Captum's <c>NeuronDeepLift</c>: every supported
/// nonlinearity has its rule, including the layer itself; the neuron is summed over the inputs and the baselines.
/// </summary>
public sealed record NeuronDeepLift : NeuronAttributionMethod,
    IBaselineSetting, IMultiplyByInputsSetting, IDeepLiftSetting
{
    private NeuronDeepLift() : base(new SettingValues()) { }

    /// <summary>
    /// Zero baseline, multiplied by inputs, eps <see cref="Defaults.Eps"/>, Captum's quirks reproduced, unsupported
    /// nonlinearities refused. (Captum's <c>NeuronDeepLift</c> has no convergence delta, so neither has this.)
    /// </summary>
    public static NeuronDeepLift Default { get; } = new();

    /// <summary>The method's settings, read back by name (<c>Settings.Baseline</c>, <c>Settings.Eps</c>, ...).</summary>
    public MethodSettings<NeuronDeepLift> Settings => new(Values);


    /// <inheritdoc />
    public override string Describe() => $"NeuronDeepLift(baselines {Values.Baseline}{(Values.MultiplyByInputs ? "" : ", multipliers only")})";

    internal override Attribution Attribute(NeuronContext context)
    {
        var run = context.Run;
        using var scope = NewDisposeScope();
        var v = Values;
        var baselines = v.Baseline.MaterializeAll(run.Inputs, context.Run.Checks);
        var values = NeuronDeepLiftComputation.Compute(context, run.Inputs, baselines, DeepLiftEngine.Options.Of(v), v.MultiplyByInputs, v.CustomAttribution, Name);
        return Result(context, values.Select(t => t.MoveToOuterDisposeScope()).ToArray());
    }
}
