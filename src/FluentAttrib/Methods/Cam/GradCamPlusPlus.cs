using FluentAttrib.Core.Cam;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Grad-CAM++ (Chattopadhay et al., 2018): w_c = Σ_hw ReLU(G)·α with α = G² / (2G² + Σ_hw A · G³ + 1e-6) (0 where
/// G = 0), as pytorch-grad-cam computes it (its closed form for an exponential output). One forward and one backward pass.
/// </summary>
public sealed record GradCamPlusPlus : CamMethod
{
    private GradCamPlusPlus() { }

    /// <summary>The method with pytorch-grad-cam's defaults (one pass, channels summed, its quirks reproduced).</summary>
    public static GradCamPlusPlus Default { get; } = new();

    /// <summary>The method's settings, read back by name (<c>Settings.AugSmooth</c>, <c>Settings.EigenSmooth</c>, <c>Settings.Output</c>, <c>Settings.GradCamQuirks</c>).</summary>
    public MethodSettings<GradCamPlusPlus> Settings => new(Values);

    /// <inheritdoc />
    public override string Name => "GradCAMPlusPlus";

    internal override Tensor? ChannelWeights(CamLayer layer)
    {
        var g = layer.G;
        var dims = CamMath.SpatialDims(g);
        var g2 = g * g;
        var g3 = g2 * g;
        var sumA = layer.A.sum(dims, keepdim: true);
        var alpha = g2 / (2 * g2 + sumA * g3 + 1e-6);
        alpha = where(g != 0, alpha, zeros_like(alpha));
        return (nn.functional.relu(g) * alpha).sum(dims);
    }
}
