using FluentAttrib.Core;

namespace FluentAttrib;

/// <summary>
/// Kernel SHAP (Lundberg and Lee, 2017): Shapley values estimated by a weighted linear regression on coalitions of
/// features. Equal to Captum's <c>KernelShap</c>.
/// </summary>
/// <remarks>
/// <para>Interpretable features are input elements (by default every scalar of every input; give groups with
/// <see cref="MethodSettingExtensions.Mask{TMethod}"/>); a feature outside the coalition takes the baseline's value. The first two samples are the
/// full and the empty coalition, weighing 10⁶ each (standing in for the Shapley kernel's infinite weight); the
/// others have k features, k drawn with probability ∝ (M − 1) / (k (M − k)), the features uniformly, each weighing 1.
/// With a single feature only the two end points are used.</para>
/// <para>The surrogate is weighted least squares with an intercept (<see cref="SurrogateModel.LinearRegression"/>,
/// Captum's <c>SkLearnLinearRegression</c>), solved in float64. As Captum does for a batch, one regression is fitted
/// per example, each on <c>Settings.Samples</c> samples. Attributions have the input's shape and dtype (Captum
/// returns float32; here float32 only for integer inputs); with <c>ReturnInputShape(false)</c> the coefficients come
/// as one (batch, features) tensor.</para>
/// </remarks>
public sealed record KernelShap : AttributionMethod,
    ISamplesSetting, IBaselineSetting, IMaskSetting, IPerturbationsPerPassSetting, IReturnInputShapeSetting, ISeedSetting
{
    private KernelShap(SettingValues values) : base(values) { }

    /// <summary>
    /// <see cref="Defaults.KernelShapSamples"/> samples per example, every scalar a feature, zero baseline,
    /// input-shaped attributions, passes planned from the memory budget, torch's default random generator.
    /// </summary>
    public static KernelShap Default { get; } = new(new SettingValues { Samples = Defaults.KernelShapSamples });

    /// <summary>The default method with <paramref name="samples"/> coalitions per example, the full and the empty one included (<see cref="MethodSettingExtensions.Samples{TMethod}"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samples"/> is less than 1.</exception>
    public static KernelShap Samples(int samples) => Default.Samples(samples);

    /// <summary>The method's settings, read back by name (<c>Settings.Samples</c>).</summary>
    public MethodSettings<KernelShap> Settings => new(Values);


    /// <inheritdoc />
    public override string Describe() => $"KernelShap({Values.Samples} samples, baselines {Values.Baseline})";

    internal override Attribution Attribute(AttributionContext context)
    {
        using var sampler = new KernelShapSampler();
        var v = Values;
        var settings = new SurrogateSettings(v.Samples, v.Baseline, v.Mask, v.PerturbationsPerPass, v.ReturnInputShape, v.Seed,
            SurrogateModel.LinearRegression);
        return Result(context, SurrogateEngine.Run(context, settings, sampler, Name));
    }
}
