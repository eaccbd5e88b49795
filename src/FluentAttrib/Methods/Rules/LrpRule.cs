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
/// A layer-wise relevance propagation rule, assigned to layers with
/// <see cref="MethodSettingExtensions.Rule{TMethod}(TMethod, Layer, LrpRule)"/> or <see cref="Lrp.Rule{TModule}(LrpRule)"/>.
/// Create one with its factories (<see cref="Epsilon"/>, <see cref="Gamma"/>, <see cref="Alpha1Beta0"/>,
/// <see cref="Identity"/>); read it back through <see cref="Kind"/>, <see cref="Parameter"/> and
/// <see cref="SetsBiasToZero"/>. The rules that change weights (γ, α1β0) compute with modified copies; the model's
/// weights are never touched. They apply to Linear, Conv1d/2d/3d (zero padding) and BatchNorm1d/2d/3d layers.
/// Rules compare by value.
/// </summary>
public sealed record LrpRule
{
    private LrpRule(LrpRuleKind kind, double? parameter, bool setBiasToZero)
    {
        Kind = kind;
        Parameter = parameter;
        SetsBiasToZero = setBiasToZero;
    }

    /// <summary>Which rule this is.</summary>
    public LrpRuleKind Kind { get; }

    /// <summary>
    /// The rule's own parameter: ε of the ε-rule (<see cref="LrpRuleKind.Epsilon"/>), γ of the γ-rule
    /// (<see cref="LrpRuleKind.Gamma"/>); null for the α1β0 and identity rules, which have none.
    /// </summary>
    public double? Parameter { get; }

    /// <summary>Whether the γ- and α1β0-rules compute with a zero bias (false for the others).</summary>
    public bool SetsBiasToZero { get; }

    /// <summary>Whether the rule computes with modified weights.</summary>
    public bool ModifiesWeights => Kind is LrpRuleKind.Gamma or LrpRuleKind.Alpha1Beta0;

    /// <summary>The ε added (with the sign of z) to the denominator: the ε-rule's parameter, <see cref="Defaults.LrpEpsilon"/> for the others.</summary>
    internal double Stabilizer => Kind == LrpRuleKind.Epsilon ? Parameter!.Value : Defaults.LrpEpsilon;

    /// <summary>γ of the γ-rule, 0 for the others.</summary>
    internal double GammaFactor => Kind == LrpRuleKind.Gamma ? Parameter!.Value : 0;

    /// <summary>
    /// The ε-rule (Captum's <c>EpsilonRule(epsilon)</c>, the default of Linear, Conv2d, pooling and BatchNorm2d layers);
    /// ε defaults to <see cref="Defaults.LrpEpsilon"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epsilon"/> is negative, NaN or infinite.</exception>
    public static LrpRule Epsilon(double epsilon = Defaults.LrpEpsilon)
    {
        if (!(epsilon >= 0) || double.IsInfinity(epsilon))
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε must be a finite number ≥ 0.");
        return new(LrpRuleKind.Epsilon, epsilon, false);
    }

    /// <summary>
    /// The γ-rule (Captum's <c>GammaRule(gamma, set_bias_to_zero)</c>): favours positive contributions; for lower
    /// layers. γ defaults to <see cref="Defaults.LrpGamma"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="gamma"/> is negative, NaN or infinite.</exception>
    public static LrpRule Gamma(double gamma = Defaults.LrpGamma, bool setBiasToZero = false)
    {
        if (!(gamma >= 0) || double.IsInfinity(gamma))
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "γ must be a finite number ≥ 0.");
        return new(LrpRuleKind.Gamma, gamma, setBiasToZero);
    }

    /// <summary>The α1β0-rule (Captum's <c>Alpha1_Beta0_Rule(set_bias_to_zero)</c>): only positive weights propagate.</summary>
    public static LrpRule Alpha1Beta0(bool setBiasToZero = false) => new(LrpRuleKind.Alpha1Beta0, null, setBiasToZero);

    /// <summary>The identity rule (Captum's <c>IdentityRule</c>): relevance passes unchanged.</summary>
    public static LrpRule Identity { get; } = new(LrpRuleKind.Identity, null, false);

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        LrpRuleKind.Epsilon => $"Epsilon({Parameter:G})",
        LrpRuleKind.Gamma => $"Gamma({Parameter:G}{(SetsBiasToZero ? ", no bias" : "")})",
        LrpRuleKind.Alpha1Beta0 => $"Alpha1Beta0({(SetsBiasToZero ? "no bias" : "")})",
        _ => "Identity",
    };
}
