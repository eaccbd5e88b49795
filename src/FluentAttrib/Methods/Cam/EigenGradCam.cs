using FluentAttrib.Core.Cam;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Eigen-Grad-CAM (pytorch-grad-cam): G ⊙ A projected on its first principal component. One forward and one backward
/// pass. Sign as <see cref="EigenCam"/>.
/// </summary>
public sealed record EigenGradCam : CamMethod
{
    private EigenGradCam() { }

    /// <summary>The method with pytorch-grad-cam's defaults (one pass, channels summed, its quirks reproduced).</summary>
    public static EigenGradCam Default { get; } = new();

    /// <summary>The method's settings, read back by name (<c>Settings.AugSmooth</c>, <c>Settings.EigenSmooth</c>, <c>Settings.Output</c>, <c>Settings.GradCamQuirks</c>).</summary>
    public MethodSettings<EigenGradCam> Settings => new(Values);

    /// <inheritdoc />
    public override string Name => "EigenGradCAM";

    internal override bool WeightsChannels => false;

    internal override bool AlwaysProjects => true;

    internal override Tensor Weighted(CamLayer layer, Tensor? weights) => layer.G * layer.A;
}
