using FluentAttrib.Core.Cam;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// HiResCAM (Draelos and Carin, 2020): map = Σ_c G_c ⊙ A_c, the gradient applied element-wise instead of averaged.
/// One forward and one backward pass.
/// </summary>
public sealed record HiResCam : CamMethod
{
    private HiResCam() { }

    /// <summary>The method with pytorch-grad-cam's defaults (one pass, channels summed, its quirks reproduced).</summary>
    public static HiResCam Default { get; } = new();

    /// <summary>The method's settings, read back by name (<c>Settings.AugSmooth</c>, <c>Settings.EigenSmooth</c>, <c>Settings.Output</c>, <c>Settings.GradCamQuirks</c>).</summary>
    public MethodSettings<HiResCam> Settings => new(Values);

    /// <inheritdoc />
    public override string Name => "HiResCAM";

    internal override bool WeightsChannels => false;

    internal override Tensor Weighted(CamLayer layer, Tensor? weights) => layer.G * layer.A;
}
