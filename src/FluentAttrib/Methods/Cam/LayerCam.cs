using FluentAttrib.Core.Cam;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// LayerCAM (Jiang et al., 2021): map = Σ_c ReLU(G_c) ⊙ A_c. One forward and one backward pass.
/// </summary>
public sealed record LayerCam : CamMethod
{
    private LayerCam() { }

    /// <summary>The method with pytorch-grad-cam's defaults (one pass, channels summed, its quirks reproduced).</summary>
    public static LayerCam Default { get; } = new();

    /// <summary>The method's settings, read back by name (<c>Settings.AugSmooth</c>, <c>Settings.EigenSmooth</c>, <c>Settings.Output</c>, <c>Settings.GradCamQuirks</c>).</summary>
    public MethodSettings<LayerCam> Settings => new(Values);

    /// <inheritdoc />
    public override string Name => "LayerCAM";

    internal override bool WeightsChannels => false;

    internal override Tensor Weighted(CamLayer layer, Tensor? weights) => nn.functional.relu(layer.G) * layer.A;
}
