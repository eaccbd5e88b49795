using FluentAttrib.Core.Cam;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// XGrad-CAM (Fu et al., 2020): w_c = Σ_hw G·A / (Σ_hw A + 1e-7). One forward and one backward pass.
/// </summary>
public sealed record XGradCam : CamMethod
{
    private XGradCam() { }

    /// <summary>The method with pytorch-grad-cam's defaults (one pass, channels summed, its quirks reproduced).</summary>
    public static XGradCam Default { get; } = new();

    /// <summary>The method's settings, read back by name (<c>Settings.AugSmooth</c>, <c>Settings.EigenSmooth</c>, <c>Settings.Output</c>, <c>Settings.GradCamQuirks</c>).</summary>
    public MethodSettings<XGradCam> Settings => new(Values);

    /// <inheritdoc />
    public override string Name => "XGradCAM";

    internal override Tensor? ChannelWeights(CamLayer layer)
    {
        var dims = CamMath.SpatialDims(layer.G);
        return (layer.G * layer.A / (layer.A.sum(dims, keepdim: true) + 1e-7)).sum(dims);
    }
}
