namespace FluentAttrib;

/// <summary>The kinds of LRP propagation rule (Captum's <c>lrp_rules</c>).</summary>
public enum LrpRuleKind
{
    /// <summary>R_in = x ⊙ Jᵀ(R_out / (z + ε·sign z)) (Captum's <c>EpsilonRule</c>).</summary>
    Epsilon,

    /// <summary>The ε-rule on weights W + γ·W⁺ (Captum's <c>GammaRule</c>; ε = 1e-9).</summary>
    Gamma,

    /// <summary>The ε-rule on weights W⁺ only, also known as deep Taylor (Captum's <c>Alpha1_Beta0_Rule</c>; ε = 1e-9).</summary>
    Alpha1Beta0,

    /// <summary>Relevance passes unchanged; input and output must have the same shape (Captum's <c>IdentityRule</c>).</summary>
    Identity,
}

/// <summary>
/// A layer-wise relevance propagation rule, assigned to layers with <see cref="Lrp.Rule(Layer, LrpRule)"/> or
/// <see cref="Lrp.Rule{TModule}(LrpRule)"/>. The rules that change weights (<see cref="Gamma"/>,
/// <see cref="Alpha1Beta0"/>) compute with modified copies; the model's weights are never touched. They apply to
/// Linear, Conv1d/2d/3d (zero padding) and BatchNorm1d/2d/3d layers.
/// </summary>
public sealed record LrpRule
{
    private LrpRule(LrpRuleKind kind, double epsilon, double gamma, bool setBiasToZero)
    {
        Kind = kind;
        EpsilonValue = epsilon;
        GammaValue = gamma;
        SetsBiasToZero = setBiasToZero;
    }

    /// <summary>The ε used by every rule's division (1e-9 for all but <see cref="Epsilon"/>).</summary>
    public const double DefaultEpsilon = 1e-9;

    /// <summary>Which rule this is.</summary>
    public LrpRuleKind Kind { get; }

    /// <summary>The stabiliser ε added (with the sign of z) to the denominator.</summary>
    public double EpsilonValue { get; }

    /// <summary>γ of the γ-rule (0 for the others).</summary>
    public double GammaValue { get; }

    /// <summary>Whether the γ- and α1β0-rules compute with a zero bias.</summary>
    public bool SetsBiasToZero { get; }

    /// <summary>Whether the rule computes with modified weights.</summary>
    public bool ModifiesWeights => Kind is LrpRuleKind.Gamma or LrpRuleKind.Alpha1Beta0;

    /// <summary>The ε-rule (Captum's <c>EpsilonRule(epsilon)</c>, the default of Linear, Conv2d, pooling and BatchNorm2d layers).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epsilon"/> is negative, NaN or infinite.</exception>
    public static LrpRule Epsilon(double epsilon = DefaultEpsilon)
    {
        if (!(epsilon >= 0) || double.IsInfinity(epsilon))
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε must be a finite number ≥ 0.");
        return new(LrpRuleKind.Epsilon, epsilon, 0, false);
    }

    /// <summary>The γ-rule (Captum's <c>GammaRule(gamma, set_bias_to_zero)</c>): favours positive contributions; for lower layers.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="gamma"/> is negative, NaN or infinite.</exception>
    public static LrpRule Gamma(double gamma = 0.25, bool setBiasToZero = false)
    {
        if (!(gamma >= 0) || double.IsInfinity(gamma))
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "γ must be a finite number ≥ 0.");
        return new(LrpRuleKind.Gamma, DefaultEpsilon, gamma, setBiasToZero);
    }

    /// <summary>The α1β0-rule (Captum's <c>Alpha1_Beta0_Rule(set_bias_to_zero)</c>): only positive weights propagate.</summary>
    public static LrpRule Alpha1Beta0(bool setBiasToZero = false) => new(LrpRuleKind.Alpha1Beta0, DefaultEpsilon, 0, setBiasToZero);

    /// <summary>The identity rule (Captum's <c>IdentityRule</c>): relevance passes unchanged.</summary>
    public static LrpRule Identity { get; } = new(LrpRuleKind.Identity, DefaultEpsilon, 0, false);

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        LrpRuleKind.Epsilon => $"Epsilon({EpsilonValue:G})",
        LrpRuleKind.Gamma => $"Gamma({GammaValue:G}{(SetsBiasToZero ? ", no bias" : "")})",
        LrpRuleKind.Alpha1Beta0 => $"Alpha1Beta0({(SetsBiasToZero ? "no bias" : "")})",
        _ => "Identity",
    };
}
