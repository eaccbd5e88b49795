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
/// <see cref="MethodSettingExtensions.Mask{TMethod}"/>). Each sample keeps every feature with probability 0.5 and sets the others to the baseline; it
/// weighs exp(−d² / (2·width²)), d the cosine distance between the flattened example and the sample (width 1).</para>
/// <para>The surrogate defaults to Captum's, a weighted Lasso with α = 0.01
/// (<see cref="SurrogateModel.Lasso(double)"/>); <c>Surrogate(SurrogateModel.LinearRegression)</c> fits ordinary
/// weighted least squares. As Captum does for a batch, one surrogate is fitted per example, each on
/// <c>Settings.Samples</c> samples. Attributions have the input's shape and dtype (Captum returns float32; here
/// float32 only for integer inputs); with <c>ReturnInputShape(false)</c> the coefficients come as one
/// (batch, features) tensor.</para>
/// </remarks>
public sealed record Lime : AttributionMethod,
    ISamplesSetting, IBaselineSetting, IMaskSetting, IPerturbationsPerPassSetting, IReturnInputShapeSetting, ISeedSetting
{
    private Lime(SettingValues values) : base(values) { }

    /// <summary>
    /// <see cref="Defaults.LimeSamples"/> samples per example, every scalar a feature, zero baseline, a
    /// Lasso(<see cref="Defaults.LimeLassoAlpha"/>) surrogate, a cosine similarity kernel of width
    /// <see cref="Defaults.LimeKernelWidth"/>, input-shaped attributions, passes planned from the memory budget,
    /// torch's default random generator.
    /// </summary>
    public static Lime Default { get; } = new(new SettingValues
    {
        Samples = Defaults.LimeSamples,
        Surrogate = SurrogateModel.Lasso(Defaults.LimeLassoAlpha),
        KernelWidth = Defaults.LimeKernelWidth,
        Distance = LimeDistance.Cosine,
    });

    /// <summary>The default method with <paramref name="samples"/> samples per example (<see cref="MethodSettingExtensions.Samples{TMethod}"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samples"/> is less than 1.</exception>
    public static Lime Samples(int samples) => Default.Samples(samples);

    /// <summary>The method's settings, read back by name (<c>Settings.Samples</c>, <c>Settings.KernelWidth</c>).</summary>
    public MethodSettings<Lime> Settings => new(Values);

    /// <summary>Fits <paramref name="model"/> as the surrogate (e.g. <see cref="SurrogateModel.LinearRegression"/>; the default is Lasso(<see cref="Defaults.LimeLassoAlpha"/>), as in Captum).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    public Lime Surrogate(SurrogateModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return this with { Values = Values with { Surrogate = model } };
    }

    /// <summary>Uses a similarity kernel of width <paramref name="width"/> (Captum's <c>kernel_width</c>; the default is <see cref="Defaults.LimeKernelWidth"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="width"/> is not positive and finite.</exception>
    public Lime KernelWidth(double width)
    {
        if (!(width > 0) || double.IsInfinity(width))
            throw new ArgumentOutOfRangeException(nameof(width), width, "The kernel width must be positive and finite.");
        return this with { Values = Values with { KernelWidth = width } };
    }

    /// <summary>Measures the distance of a sample to the example with <paramref name="distance"/> (the default is <see cref="LimeDistance.Cosine"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="distance"/> is not a defined value.</exception>
    public Lime Distance(LimeDistance distance)
    {
        if (!Enum.IsDefined(distance)) throw new ArgumentOutOfRangeException(nameof(distance), distance, "Unknown distance.");
        return this with { Values = Values with { Distance = distance } };
    }


    /// <inheritdoc />
    public override string Describe() =>
        $"Lime({Values.Samples} samples, {Values.Surrogate}, {Values.Distance} kernel width {Values.KernelWidth.ToString(CultureInfo.InvariantCulture)}, baselines {Values.Baseline})";

    internal override Attribution Attribute(AttributionContext context)
    {
        var v = Values;
        using var sampler = new LimeSampler(v.Distance, v.KernelWidth);
        var settings = new SurrogateSettings(v.Samples, v.Baseline, v.Mask, v.PerturbationsPerPass, v.ReturnInputShape, v.Seed, v.Surrogate);
        return Result(context, SurrogateEngine.Run(context, settings, sampler, Name));
    }
}
