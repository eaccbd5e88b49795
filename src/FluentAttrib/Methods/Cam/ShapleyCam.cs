using FluentAttrib.Core.Cam;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Shapley-CAM (Cai, 2025): w_c = mean_hw(G − ½·H·A), with H the Hessian of the target with respect to the layer (a
/// Hessian-vector product). Equals Grad-CAM for piecewise-linear networks and raw logits. One forward, one backward
/// and one double-backward pass. Unlike pytorch-grad-cam 1.5.5, which raises for two or more layers, several layers work.
/// </summary>
public sealed record ShapleyCam : CamMethod
{
    private ShapleyCam() { }

    /// <summary>The method with pytorch-grad-cam's defaults (one pass, channels summed, its quirks reproduced).</summary>
    public static ShapleyCam Default { get; } = new();

    /// <summary>The method's settings, read back by name (<c>Settings.AugSmooth</c>, <c>Settings.EigenSmooth</c>, <c>Settings.Output</c>, <c>Settings.GradCamQuirks</c>).</summary>
    public MethodSettings<ShapleyCam> Settings => new(Values);

    /// <inheritdoc />
    public override string Name => "ShapleyCAM";

    internal override CamNeeds Needs => new(Gradients: true, Hessian: true);

    internal override Tensor? ChannelWeights(CamLayer layer) => (layer.G - 0.5 * layer.Hvp).mean(CamMath.SpatialDims(layer.G));
}
