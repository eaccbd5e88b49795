using FluentAttrib.Core;

namespace FluentAttrib;

// The settings of the class-activation-map family (Methods/Cam), kept in one file: the stored values, the marker
// interface, the shared setters and their read-back properties, and the defaults.

internal sealed partial record SettingValues
{
    public bool AugSmooth { get; init; }
    public bool EigenSmooth { get; init; }
    public CamOutput CamOutput { get; init; } = CamOutput.Map;
    public bool GradCamQuirks { get; init; } = true;
    public double ChannelRatio { get; init; } = Defaults.AblationCamChannelRatio;
    public double Alpha { get; init; } = Defaults.FinerCamAlpha;
    public ValueList<int> ComparisonRanks { get; init; } = [1, 2, 3];
    public long? MainClass { get; init; }
    public CamMethod? FinerBase { get; init; }
}

/// <summary>What a class-activation-map method returns (<see cref="MethodSettingExtensions.Output{TMethod}"/>).</summary>
public enum CamOutput
{
    /// <summary>
    /// pytorch-grad-cam's result: each layer's map through a ReLU, min–max scaled per example, resized to the input's
    /// size (bilinear, half-pixel centres); the layers' mean scaled again. One tensor (B, H, W) ((B, D, H, W) for volumes).
    /// </summary>
    Map,

    /// <summary>
    /// One tensor per layer: the layer's map before the ReLU and the scaling, at layer resolution (B, h, w)
    /// (pytorch-grad-cam's <c>get_cam_image</c>). FullGrad returns its unscaled terms instead: |∂L/∂x ⊙ x| (B, C, H, W),
    /// then |bias ⊙ ∂L/∂out| (B, C_l, h_l, w_l) for each bias layer.
    /// </summary>
    Raw,

    /// <summary>One tensor per layer: the channel weights (B, C) of a method that weights channels.</summary>
    Weights,
}

/// <summary>
/// The method is a class activation map (<see cref="MethodSettingExtensions.AugSmooth{TMethod}"/>,
/// <see cref="MethodSettingExtensions.EigenSmooth{TMethod}"/>, <see cref="MethodSettingExtensions.Output{TMethod}"/>,
/// <see cref="MethodSettingExtensions.GradCamQuirks{TMethod}"/>).
/// </summary>
public interface ICamSetting;

public static partial class MethodSettingExtensions
{
    /// <summary>
    /// Test-time augmentation (pytorch-grad-cam's <c>aug_smooth</c>): the map is computed for six copies of the input
    /// (horizontal flip or not × brightness factors 0.9, 1, 1.1), flipped back, and averaged. Six times the cost.
    /// With <see cref="CamOutput.Raw"/> or <see cref="CamOutput.Weights"/> the un-augmented pass is returned.
    /// </summary>
    public static TMethod AugSmooth<TMethod>(this TMethod method, bool smooth = true) where TMethod : ConfigurableMethod, ICamSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        return Update(method, method.Values with { AugSmooth = smooth });
    }

    /// <summary>
    /// Replaces the sum over channels by the projection on the first principal component of the weighted
    /// activations (pytorch-grad-cam's <c>eigen_smooth</c>). EigenCam and EigenGradCam always project.
    /// </summary>
    public static TMethod EigenSmooth<TMethod>(this TMethod method, bool smooth = true) where TMethod : ConfigurableMethod, ICamSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        return Update(method, method.Values with { EigenSmooth = smooth });
    }

    /// <summary>What the method returns: the scaled map (the default), the raw per-layer maps or the channel weights.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined value.</exception>
    /// <exception cref="ArgumentException"><see cref="CamOutput.Weights"/> for a method that does not weight channels.</exception>
    public static TMethod Output<TMethod>(this TMethod method, CamOutput output) where TMethod : ConfigurableMethod, ICamSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        if (!Enum.IsDefined(output)) throw new ArgumentOutOfRangeException(nameof(output), output, "Not a CamOutput value.");
        if (output == CamOutput.Weights && method is CamMethod { WeightsChannels: false })
            throw new ArgumentException($"{method.Name} does not weight channels; it has no channel weights to return.", nameof(output));
        if (output == CamOutput.Weights && method is FullGrad)
            throw new ArgumentException("FullGrad does not weight channels; it has no channel weights to return.", nameof(output));
        return Update(method, method.Values with { CamOutput = output });
    }

    /// <summary>
    /// Reproduces pytorch-grad-cam 1.5.5 where it differs from the published method (true, the default). False gives the
    /// textbook behaviour: AblationCam sets each ablated channel to 0 (instead of the layer's minimum shifted by
    /// −1e7 per position in the chunk when that minimum is not 0) and divides the drop by |original score| (so a
    /// negative score does not flip the map); projections (EigenCam, EigenGradCam, <c>EigenSmooth</c>) get a fixed sign,
    /// the one whose largest magnitude is positive, instead of the sign the SVD happens to return.
    /// </summary>
    public static TMethod GradCamQuirks<TMethod>(this TMethod method, bool quirks = true) where TMethod : ConfigurableMethod, ICamSetting
    {
        ArgumentNullException.ThrowIfNull(method);
        return Update(method, method.Values with { GradCamQuirks = quirks });
    }
}

public static partial class MethodSettingReadBack
{
    extension<TMethod>(MethodSettings<TMethod> settings) where TMethod : ConfigurableMethod, ICamSetting
    {
        /// <summary>Whether test-time augmentation is on.</summary>
        public bool AugSmooth => settings.Values.AugSmooth;

        /// <summary>Whether the channels are combined by the first principal component.</summary>
        public bool EigenSmooth => settings.Values.EigenSmooth;

        /// <summary>What the method returns.</summary>
        public CamOutput Output => settings.Values.CamOutput;

        /// <summary>Whether pytorch-grad-cam's quirks are reproduced.</summary>
        public bool GradCamQuirks => settings.Values.GradCamQuirks;
    }

    extension(MethodSettings<AblationCam> settings)
    {
        /// <summary>The share of channels ablated (1: all).</summary>
        public double ChannelRatio => settings.Values.ChannelRatio;
    }

    extension(MethodSettings<FinerCam> settings)
    {
        /// <summary>Strength of the comparison classes.</summary>
        public double Alpha => settings.Values.Alpha;

        /// <summary>Ranks (by closeness of score to the main class) of the comparison classes.</summary>
        public IReadOnlyList<int> ComparisonRanks => settings.Values.ComparisonRanks;

        /// <summary>The main class when no target is given, or null for the top class.</summary>
        public long? MainClass => settings.Values.MainClass;

        /// <summary>The CAM method whose map FinerCam computes with its target.</summary>
        public CamMethod Base => settings.Values.FinerBase ?? GradCam.Default;
    }
}

public static partial class Defaults
{
    /// <summary>AblationCam's share of channels to ablate (pytorch-grad-cam's <c>ratio_channels_to_ablate</c>). <value>1 (all).</value></summary>
    public const double AblationCamChannelRatio = 1.0;

    /// <summary>AblationCam's ablated copies per chunk (pytorch-grad-cam's <c>batch_size</c>). <value>32.</value></summary>
    public const int AblationCamPerturbationsPerPass = 32;

    /// <summary>FinerCam's comparison strength (pytorch-grad-cam's <c>alpha</c>). <value>1.</value></summary>
    public const double FinerCamAlpha = 1.0;
}
