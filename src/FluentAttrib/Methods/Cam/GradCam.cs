using FluentAttrib.Core.Cam;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Grad-CAM (Selvaraju et al., 2017) as pytorch-grad-cam computes it: channel weights = the mean of the gradient
/// over the spatial positions, map = ReLU(Σ_c w_c·A_c), scaled to [0, 1] and resized to the input. Captum's form, the
/// raw signed map with a channel dimension, is <see cref="LayerGradCam"/> (this method's <see cref="CamOutput.Raw"/> is
/// the same map without it). One forward
/// and one backward pass.
/// </summary>
public sealed record GradCam : CamMethod
{
    private GradCam() { }

    /// <summary>The method with pytorch-grad-cam's defaults (one pass, channels summed, its quirks reproduced).</summary>
    public static GradCam Default { get; } = new();

    /// <summary>The method's settings, read back by name (<c>Settings.AugSmooth</c>, <c>Settings.EigenSmooth</c>, <c>Settings.Output</c>, <c>Settings.GradCamQuirks</c>).</summary>
    public MethodSettings<GradCam> Settings => new(Values);

    /// <inheritdoc />
    public override string Name => "GradCAM";

    internal override Tensor? ChannelWeights(CamLayer layer) => layer.G.mean(CamMath.SpatialDims(layer.G));
}
