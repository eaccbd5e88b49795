using System.Globalization;
using FluentAttrib.Core;

namespace FluentAttrib;

/// <summary>Distance between an example and a perturbed copy of it, for Lime's similarity kernel.</summary>
public enum LimeDistance
{
    /// <summary>1 − cosine similarity of the flattened inputs (Captum's default, <c>"cosine"</c>).</summary>
    Cosine,
    /// <summary>Euclidean distance of the flattened inputs (<c>"euclidean"</c>).</summary>
    Euclidean,
}

/// <summary>
/// LIME (Ribeiro et al., 2016): fits an interpretable linear surrogate to the model's outputs on perturbed copies of
/// each example and returns its coefficients. Equal to Captum's <c>Lime</c> with its default sampling and similarity.
/// </summary>
/// <remarks>
/// <para>Interpretable features are input elements (by default every scalar of every input; give groups with
/// <see cref="Mask"/>). Each sample keeps every feature with probability 0.5 and sets the others to the baseline; it
/// weighs exp(−d² / (2·width²)), d the cosine distance between the flattened example and the sample (width 1).</para>
/// <para>The surrogate defaults to Captum's, a weighted Lasso with α = 0.01
/// (<see cref="SurrogateModel.Lasso(double)"/>); <c>Surrogate(SurrogateModel.LinearRegression)</c> fits ordinary
/// weighted least squares. As Captum does for a batch, one surrogate is fitted per example, each on
/// <see cref="SampleCount"/> samples. Attributions have the input's shape and dtype (Captum returns float32; here
/// float32 only for integer inputs); with <c>ReturnInputShape(false)</c> the coefficients come as one
/// (batch, features) tensor.</para>
/// </remarks>
public sealed record Lime : AttributionMethod
{
    private Lime() { }

    /// <summary>25 samples per example, every scalar a feature, zero baseline, Lasso(0.01) surrogate.</summary>
    public static Lime Default { get; } = new();

    /// <summary>The default method with <paramref name="samples"/> samples per example.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samples"/> is less than 1.</exception>
    public static Lime Samples(int samples) => Default.WithSamples(samples);

    /// <summary>Perturbed samples per example (Captum's <c>n_samples</c>). <value>The default value is 25.</value></summary>
    public int SampleCount { get; private init; } = 25;

    /// <summary>Groups of input elements that form the interpretable features, or null for one feature per scalar. <value>The default value is null.</value></summary>
    public FeatureMask? FeatureMask { get; private init; }

    /// <summary>Values that switched-off features take. <value>The default value is zero.</value></summary>
    public Baselines Baselines { get; private init; } = Baselines.Zero;

    /// <summary>
    /// Samples evaluated per forward pass, or null to choose from the memory budget (Captum's
    /// <c>perturbations_per_eval</c>). The result does not depend on it. <value>The default value is null.</value>
    /// </summary>
    public int? PerturbationsPerEvaluation { get; private init; }

    /// <summary>
    /// Whether attributions have the inputs' shapes (true) or are the surrogate's coefficients, (batch, features).
    /// <value>The default value is true.</value>
    /// </summary>
    public bool ReturnsInputShape { get; private init; } = true;

    /// <summary>Seed of the generator that draws the samples, or null for torch's default generator. <value>The default value is null.</value></summary>
    public long? SeedValue { get; private init; }

    /// <summary>The surrogate fitted to the samples. <value>The default value is <c>SurrogateModel.Lasso(0.01)</c>, as in Captum.</value></summary>
    public SurrogateModel InterpretableModel { get; private init; } = SurrogateModel.Lasso(0.01);

    /// <summary>Width of the exponential similarity kernel. <value>The default value is 1.0.</value></summary>
    public double KernelWidthValue { get; private init; } = 1.0;

    /// <summary>Distance used by the similarity kernel. <value>The default value is <see cref="LimeDistance.Cosine"/>.</value></summary>
    public LimeDistance DistanceMode { get; private init; } = LimeDistance.Cosine;

    /// <summary>Uses <paramref name="samples"/> perturbed samples per example.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samples"/> is less than 1.</exception>
    public Lime WithSamples(int samples)
    {
        if (samples < 1) throw new ArgumentOutOfRangeException(nameof(samples), samples, "Lime needs at least 1 sample.");
        return this with { SampleCount = samples };
    }

    /// <summary>Groups input elements into interpretable features (equal ids form one feature, across inputs too).</summary>
    public Lime Mask(FeatureMask mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        return this with { FeatureMask = mask };
    }

    /// <summary>Sets switched-off features to <paramref name="baselines"/> (scalar, broadcastable tensor, or one per input).</summary>
    public Lime Baseline(Baselines baselines)
    {
        ArgumentNullException.ThrowIfNull(baselines);
        return this with { Baselines = baselines };
    }

    /// <summary>Evaluates at most <paramref name="samples"/> perturbed samples per forward pass.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samples"/> is less than 1.</exception>
    public Lime PerturbationsPerEval(int samples)
    {
        if (samples < 1) throw new ArgumentOutOfRangeException(nameof(samples), samples, "At least 1 perturbation per evaluation is needed.");
        return this with { PerturbationsPerEvaluation = samples };
    }

    /// <summary>Returns attributions shaped like the inputs (true) or the coefficients, (batch, features) (false).</summary>
    public Lime ReturnInputShape(bool inputShape = true) => this with { ReturnsInputShape = inputShape };

    /// <summary>Draws the samples from a generator seeded with <paramref name="seed"/> (created per call): the same seed gives the same result.</summary>
    public Lime Seed(long seed) => this with { SeedValue = seed };

    /// <summary>Fits <paramref name="model"/> as the surrogate (e.g. <see cref="SurrogateModel.LinearRegression"/>).</summary>
    public Lime Surrogate(SurrogateModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return this with { InterpretableModel = model };
    }

    /// <summary>Uses a similarity kernel of width <paramref name="width"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="width"/> is not positive and finite.</exception>
    public Lime KernelWidth(double width)
    {
        if (!(width > 0) || double.IsInfinity(width))
            throw new ArgumentOutOfRangeException(nameof(width), width, "The kernel width must be positive and finite.");
        return this with { KernelWidthValue = width };
    }

    /// <summary>Measures the distance of a sample to the example with <paramref name="distance"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="distance"/> is not a defined value.</exception>
    public Lime Distance(LimeDistance distance)
    {
        if (!Enum.IsDefined(distance)) throw new ArgumentOutOfRangeException(nameof(distance), distance, "Unknown distance.");
        return this with { DistanceMode = distance };
    }

    /// <inheritdoc />
    public override string Name => nameof(Lime);

    /// <inheritdoc />
    public override string Describe() =>
        $"Lime({SampleCount} samples, {InterpretableModel}, {DistanceMode} kernel width {KernelWidthValue.ToString(CultureInfo.InvariantCulture)}, baselines {Baselines})";

    internal override Attribution Attribute(AttributionContext context)
    {
        using var sampler = new LimeSampler(DistanceMode, KernelWidthValue);
        var settings = new SurrogateSettings(SampleCount, Baselines, FeatureMask, PerturbationsPerEvaluation, ReturnsInputShape, SeedValue, InterpretableModel);
        return Result(context, SurrogateEngine.Run(context, settings, sampler, Name));
    }
}
