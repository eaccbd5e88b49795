using FluentAttrib.Core.Cam;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Eigen-CAM (Muhammad and Yeasin, 2020): the activations projected on their first principal component; no target and
/// no gradient (one forward pass). The sign of the projection is whatever the SVD returns, as in pytorch-grad-cam;
/// <c>GradCamQuirks(false)</c> fixes it (largest magnitude positive).
/// </summary>
public sealed record EigenCam : CamMethod
{
    private EigenCam() { }

    /// <summary>The method with pytorch-grad-cam's defaults (one pass, channels summed, its quirks reproduced).</summary>
    public static EigenCam Default { get; } = new();

    /// <summary>The method's settings, read back by name (<c>Settings.AugSmooth</c>, <c>Settings.EigenSmooth</c>, <c>Settings.Output</c>, <c>Settings.GradCamQuirks</c>).</summary>
    public MethodSettings<EigenCam> Settings => new(Values);

    /// <inheritdoc />
    public override string Name => "EigenCAM";

    internal override bool WeightsChannels => false;

    internal override bool AlwaysProjects => true;

    internal override bool UsesTarget => false;

    internal override CamNeeds Needs => new(Gradients: false);

    internal override Tensor Weighted(CamLayer layer, Tensor? weights) => layer.A;
}
