using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using FluentAttrib.Core.Rules;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// DeepLift attributed to a layer's neurons: the layer's DeepLift multipliers (the gradient of the target with
/// respect to the layer under DeepLift's rules, see <see cref="DeepLift"/>) times (layer(input) − layer(baseline)).
/// Equal to Captum's <c>LayerDeepLift</c>: baselines are the inputs' (for an embedding layer, token ids whose
/// embeddings are compared); attributing to a layer's output leaves that layer's own rule out, attributing to its
/// input (<c>AtInputOf</c>) keeps it. The delta is Σ layer attributions − (F(input) − F(baseline)).
/// </summary>
public sealed record LayerDeepLift : LayerAttributionMethod,
    IBaselineSetting, IMultiplyByInputsSetting, IDeltaSetting, IDeepLiftSetting
{
    private LayerDeepLift() : base(new SettingValues()) { }

    /// <summary>
    /// Zero baseline, multiplied by the layer difference, eps <see cref="Defaults.Eps"/>, Captum's quirks reproduced,
    /// unsupported nonlinearities refused, no delta. A custom attribution function receives (multipliers, layer values
    /// at the inputs, at the baselines).
    /// </summary>
    public static LayerDeepLift Default { get; } = new();

    /// <summary>The method's settings, read back by name (<c>Settings.Baseline</c>, <c>Settings.Eps</c>, ...).</summary>
    public MethodSettings<LayerDeepLift> Settings => new(Values);


    /// <inheritdoc />
    public override string Describe() => $"LayerDeepLift(baselines {Values.Baseline}{(Values.MultiplyByInputs ? "" : ", multipliers only")})";

    internal override Attribution Attribute(LayerContext context)
    {
        var run = context.Run;
        using var scope = NewDisposeScope();
        var v = Values;
        var baselines = v.Baseline.MaterializeAll(run.Inputs, context.Run.Checks);
        var (values, delta) = LayerDeepLiftComputation.Compute(context, run.Inputs, baselines, DeepLiftEngine.Options.Of(v),
            v.MultiplyByInputs, v.CustomAttribution, v.ReturnDelta, Name);
        return Result(context, [values.MoveToOuterDisposeScope()], delta?.MoveToOuterDisposeScope());
    }
}
