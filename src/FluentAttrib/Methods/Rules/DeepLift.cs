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
public sealed record DeepLift : AttributionMethod
{
    private DeepLift() { }

    /// <summary>Zero baselines, multiplied by inputs, eps 1e-10, Captum's quirks reproduced, no delta.</summary>
    public static DeepLift Default { get; } = new();

    /// <summary>Reference values the input is compared with. <value>The default value is zero.</value></summary>
    public Baselines Baselines { get; private init; } = Baselines.Zero;

    /// <summary>Whether multipliers are multiplied by (input − baseline). <value>The default value is true.</value></summary>
    public bool MultipliesByInputs { get; private init; } = true;

    /// <summary>|Δin| below which a rule falls back to the plain gradient. <value>The default value is 1e-10.</value></summary>
    public double Eps { get; private init; } = 1e-10;

    /// <summary>Whether the convergence delta is computed. <value>The default value is false.</value></summary>
    public bool ReturnsDelta { get; private init; }

    /// <summary>A function that replaces multipliers × (input − baseline), or null. <value>The default value is null.</value></summary>
    public DeepLiftAttributionFunction? CustomAttributionFunction { get; private init; }

    /// <summary>
    /// Whether two Captum behaviours are reproduced. (1) Hook order: when a nonlinearity feeds another directly
    /// (ReLU → MaxPool), the first one's rule uses the gradient before the second one's rule replaced it.
    /// (2) Where the max-pool rule falls back to the plain gradient it uses the first example's for every example.
    /// Both can break the summation-to-delta property; false gives the textbook rules.
    /// <value>The default value is true (results equal to Captum's).</value>
    /// </summary>
    public bool ReproducesCaptumQuirks { get; private init; } = true;

    /// <summary>
    /// Whether nonlinear modules without a DeepLift rule (GELU, SiLU, ReLU6, ...) are treated as linear, as Captum
    /// does silently, instead of rejected. <value>The default value is false.</value>
    /// </summary>
    public bool TreatsUnsupportedAsLinear { get; private init; }

    /// <summary>Compares the input with <paramref name="baselines"/> (scalar, broadcastable tensor, or one per input).</summary>
    public DeepLift Baseline(Baselines baselines)
    {
        ArgumentNullException.ThrowIfNull(baselines);
        return this with { Baselines = baselines };
    }

    /// <summary>Returns multipliers × (input − baseline) (true, "global") or the multipliers alone (false, "local").</summary>
    public DeepLift MultiplyByInputs(bool multiply = true) => this with { MultipliesByInputs = multiply };

    /// <summary>Sets the |Δin| threshold below which rules use the plain gradient.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="eps"/> is negative, NaN or infinite.</exception>
    public DeepLift WithEps(double eps) => this with { Eps = CheckEps(eps) };

    /// <summary>Also computes the convergence delta Σ attribution − (F(input) − F(baseline)).</summary>
    public DeepLift WithDelta(bool delta = true) => this with { ReturnsDelta = delta };

    /// <summary>Computes attributions with <paramref name="function"/> instead of multipliers × (input − baseline).</summary>
    public DeepLift CustomAttribution(DeepLiftAttributionFunction function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return this with { CustomAttributionFunction = function };
    }

    /// <summary>Reproduces Captum's hook-order and max-pool fallback behaviours (true) or uses the textbook rules (false).</summary>
    public DeepLift CaptumQuirks(bool reproduce = true) => this with { ReproducesCaptumQuirks = reproduce };

    /// <summary>Treats nonlinear modules without a rule as linear, as Captum does.</summary>
    public DeepLift TreatUnsupportedAsLinear(bool linear = true) => this with { TreatsUnsupportedAsLinear = linear };

    /// <inheritdoc />
    public override string Name => nameof(DeepLift);

    /// <inheritdoc />
    public override string Describe() => $"DeepLift(baselines {Baselines}{(MultipliesByInputs ? "" : ", multipliers only")})";

    internal DeepLiftEngine.Options Options => new(Eps, ReproducesCaptumQuirks, TreatsUnsupportedAsLinear);

    internal static double CheckEps(double eps)
    {
        if (!(eps >= 0) || double.IsInfinity(eps))
            throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be a finite number ≥ 0.");
        return eps;
    }

    internal override Attribution Attribute(AttributionContext context)
    {
        var inputs = context.Inputs;
        using var scope = NewDisposeScope();
        var baselines = Baselines.MaterializeAll(inputs);
        Tensor[] values;
        using (var session = DeepLiftEngine.Open(context, Name, Options))
        {
            context.ThrowIfCancelled();
            var multipliers = DeepLiftEngine.Multipliers(context, session, inputs, baselines);
            values = DeepLiftEngine.Attributions(multipliers, inputs, baselines, MultipliesByInputs, CustomAttributionFunction, Name);
        }
        context.Report(Name, 1, 1);
        Tensor? delta = ReturnsDelta ? Convergence.Delta(context, values, baselines, inputs, context.Target).MoveToOuterDisposeScope() : null;
        return Result(context, values.Select(v => v.MoveToOuterDisposeScope()).ToArray(), delta);
    }
}
