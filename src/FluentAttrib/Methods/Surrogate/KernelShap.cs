using FluentAttrib.Core;

namespace FluentAttrib;

/// <summary>
/// Kernel SHAP (Lundberg and Lee, 2017): Shapley values estimated by a weighted linear regression on coalitions of
/// features. Equal to Captum's <c>KernelShap</c>.
/// </summary>
/// <remarks>
/// <para>Interpretable features are input elements (by default every scalar of every input; give groups with
/// <see cref="Mask"/>); a feature outside the coalition takes the baseline's value. The first two samples are the
/// full and the empty coalition, weighing 10⁶ each (standing in for the Shapley kernel's infinite weight); the
/// others have k features, k drawn with probability ∝ (M − 1) / (k (M − k)), the features uniformly, each weighing 1.
/// With a single feature only the two end points are used.</para>
/// <para>The surrogate is weighted least squares with an intercept (<see cref="SurrogateModel.LinearRegression"/>,
/// Captum's <c>SkLearnLinearRegression</c>), solved in float64. As Captum does for a batch, one regression is fitted
/// per example, each on <see cref="SampleCount"/> samples. Attributions have the input's shape and dtype (Captum
/// returns float32; here float32 only for integer inputs); with <c>ReturnInputShape(false)</c> the coefficients come
/// as one (batch, features) tensor.</para>
/// </remarks>
public sealed record KernelShap : AttributionMethod
{
    private KernelShap() { }

    /// <summary>25 samples per example, every scalar a feature, zero baseline.</summary>
    public static KernelShap Default { get; } = new();

    /// <summary>The default method with <paramref name="samples"/> samples per example.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samples"/> is less than 1.</exception>
    public static KernelShap Samples(int samples) => Default.WithSamples(samples);

    /// <summary>Coalitions sampled per example, the full and the empty one included (Captum's <c>n_samples</c>). <value>The default value is 25.</value></summary>
    public int SampleCount { get; private init; } = 25;

    /// <summary>Groups of input elements that form the features, or null for one feature per scalar. <value>The default value is null.</value></summary>
    public FeatureMask? FeatureMask { get; private init; }

    /// <summary>Values that features outside a coalition take. <value>The default value is zero.</value></summary>
    public Baselines Baselines { get; private init; } = Baselines.Zero;

    /// <summary>
    /// Coalitions evaluated per forward pass, or null to choose from the memory budget (Captum's
    /// <c>perturbations_per_eval</c>). The result does not depend on it. <value>The default value is null.</value>
    /// </summary>
    public int? PerturbationsPerEvaluation { get; private init; }

    /// <summary>
    /// Whether attributions have the inputs' shapes (true) or are the regression's coefficients, (batch, features).
    /// <value>The default value is true.</value>
    /// </summary>
    public bool ReturnsInputShape { get; private init; } = true;

    /// <summary>Seed of the generator that draws the coalitions, or null for torch's default generator. <value>The default value is null.</value></summary>
    public long? SeedValue { get; private init; }

    /// <summary>Samples <paramref name="samples"/> coalitions per example.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samples"/> is less than 1.</exception>
    public KernelShap WithSamples(int samples)
    {
        if (samples < 1) throw new ArgumentOutOfRangeException(nameof(samples), samples, "KernelShap needs at least 1 sample.");
        return this with { SampleCount = samples };
    }

    /// <summary>Groups input elements into features (equal ids form one feature, across inputs too).</summary>
    public KernelShap Mask(FeatureMask mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        return this with { FeatureMask = mask };
    }

    /// <summary>Sets features outside a coalition to <paramref name="baselines"/> (scalar, broadcastable tensor, or one per input).</summary>
    public KernelShap Baseline(Baselines baselines)
    {
        ArgumentNullException.ThrowIfNull(baselines);
        return this with { Baselines = baselines };
    }

    /// <summary>Evaluates at most <paramref name="samples"/> coalitions per forward pass.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samples"/> is less than 1.</exception>
    public KernelShap PerturbationsPerEval(int samples)
    {
        if (samples < 1) throw new ArgumentOutOfRangeException(nameof(samples), samples, "At least 1 perturbation per evaluation is needed.");
        return this with { PerturbationsPerEvaluation = samples };
    }

    /// <summary>Returns attributions shaped like the inputs (true) or the coefficients, (batch, features) (false).</summary>
    public KernelShap ReturnInputShape(bool inputShape = true) => this with { ReturnsInputShape = inputShape };

    /// <summary>Draws the coalitions from a generator seeded with <paramref name="seed"/> (created per call): the same seed gives the same result.</summary>
    public KernelShap Seed(long seed) => this with { SeedValue = seed };

    /// <inheritdoc />
    public override string Name => nameof(KernelShap);

    /// <inheritdoc />
    public override string Describe() => $"KernelShap({SampleCount} samples, baselines {Baselines})";

    internal override Attribution Attribute(AttributionContext context)
    {
        using var sampler = new KernelShapSampler();
        var settings = new SurrogateSettings(SampleCount, Baselines, FeatureMask, PerturbationsPerEvaluation, ReturnsInputShape, SeedValue,
            SurrogateModel.LinearRegression);
        return Result(context, SurrogateEngine.Run(context, settings, sampler, Name));
    }
}
