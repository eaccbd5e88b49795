using FluentAttrib.Core;
using FluentAttrib.Core.Rules;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Computes final attributions from DeepLift's multipliers (Captum's <c>custom_attribution_func</c>): receives the
/// multipliers, the inputs and the baselines (one tensor per input each, baselines of the inputs' shape) and returns
/// one attribution per input.
/// </summary>
public delegate Tensor[] DeepLiftAttributionFunction(IReadOnlyList<Tensor> multipliers, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> baselines);

/// <summary>
/// DeepLift with the Rescale rule (Shrikumar et al., 2017; Ancona et al., 2018): gradients in which every supported
/// nonlinearity passes Δout/Δin (the change of its output over the change of its input between input and
/// baseline) instead of its derivative, times (input − baseline). Equal to Captum's <c>DeepLift</c>.
/// </summary>
/// <remarks>
/// <para>Rules: Rescale on ReLU, ELU, LeakyReLU, Sigmoid, Tanh, Softplus; Captum's Softmax rule (multipliers minus
/// their mean over the whole batch of inputs and baselines, so results depend on the batch); Captum's MaxPool1d/2d/3d
/// rule; where |Δin| &lt; eps the plain gradient. Every other operation is treated as linear.</para>
/// <para>Contract (as Captum's): every nonlinearity is its own module, called once per forward pass. A module called
/// twice, a nonlinearity DeepLift has no rule for (GELU, SiLU, ...), and TorchVision's ResNet (which applies ReLUs
/// functionally) are rejected with an <see cref="ArgumentException"/> that names them.</para>
/// <para>The model must be given as a module (<c>Explain(module)</c>); it is run on inputs and baselines stacked
/// along dimension 0 (2B examples) and left exactly as it was.</para>
/// </remarks>
public sealed record DeepLift : AttributionMethod,
    IBaselineSetting, IMultiplyByInputsSetting, IDeltaSetting, IDeepLiftSetting
{
    private DeepLift() : base(new SettingValues()) { }

    /// <summary>
    /// Zero baseline, multiplied by inputs, eps <see cref="Defaults.Eps"/>, Captum's quirks reproduced, unsupported
    /// nonlinearities refused, no custom attribution, no delta.
    /// </summary>
    public static DeepLift Default { get; } = new();

    /// <summary>The method's settings, read back by name (<c>Settings.Baseline</c>, <c>Settings.Eps</c>, <c>Settings.CaptumQuirks</c>, ...).</summary>
    public MethodSettings<DeepLift> Settings => new(Values);


    /// <inheritdoc />
    public override string Describe() => $"DeepLift(baselines {Values.Baseline}{(Values.MultiplyByInputs ? "" : ", multipliers only")})";

    internal override Attribution Attribute(AttributionContext context)
    {
        var inputs = context.Inputs;
        var v = Values;
        using var scope = NewDisposeScope();
        var baselines = v.Baseline.MaterializeAll(inputs, context.Checks);
        Tensor[] values;
        using (var session = DeepLiftEngine.Open(context, Name, DeepLiftEngine.Options.Of(v)))
        {
            context.ThrowIfCancelled();
            var multipliers = DeepLiftEngine.Multipliers(context, session, inputs, baselines);
            values = DeepLiftEngine.Attributions(multipliers, inputs, baselines, v.MultiplyByInputs, v.CustomAttribution, Name);
        }
        context.Report(Name, 1, 1);
        Tensor? delta = v.ReturnDelta ? Convergence.Delta(context, values, baselines, inputs, context.Target).MoveToOuterDisposeScope() : null;
        return Result(context, values.Select(t => t.MoveToOuterDisposeScope()).ToArray(), delta);
    }
}
