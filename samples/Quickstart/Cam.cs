using static TorchSharp.torch;

namespace Quickstart;

/// <summary>
/// Class activation maps of the head: for a global-average-pool + linear head, CAM_k = ReLU(Σ_c w_k,c · A_c) on
/// layer4's activation A, upsampled to the picture (what LayerGradCam on layer4 gives, up to a positive factor).
/// </summary>
internal static class Cam
{
    /// <summary>
    /// 1×1×H×W map for class <paramref name="k"/>, upsampled to <paramref name="height"/>×<paramref name="width"/>:
    /// bilinearly for figures, or by nearest neighbour (Captum's default for layer attributions; each layer4 cell
    /// becomes a 32×32 block, so the halves of a two-photo picture split exactly between cells).
    /// </summary>
    public static Tensor Map(Tensor layer4, Head head, int k, long height, long width, bool nearest = false)
    {
        using var scope = NewDisposeScope();
        using var weights = head.WeightTensor();
        var map = einsum("c,nchw->nhw", weights[k], layer4).unsqueeze(1).relu();
        return nn.functional.interpolate(map, [height, width], mode: nearest ? InterpolationMode.Nearest : InterpolationMode.Bilinear, align_corners: nearest ? null : false)
            .MoveToOuterDisposeScope();
    }

    /// <summary>Fraction of the map's (positive) mass in the left or right half of the picture.</summary>
    public static double FractionInHalf(Tensor map, bool left)
    {
        long width = map.shape[^1], half = width / 2;
        double total = map.sum().item<float>();
        if (total <= 0) return double.NaN;
        using var part = left ? map.narrow(-1, 0, half) : map.narrow(-1, half, width - half);
        return part.sum().item<float>() / total;
    }

    /// <summary>
    /// For a picture made of two photos side by side, the fraction of each class's positive CAM mass on the half
    /// that shows it: <paramref name="leftClass"/> on the left, <paramref name="rightClass"/> on the right.
    /// </summary>
    public static (double Left, double Right) CorrectHalfFractions(Network network, Tensor rgb, int leftClass, int rightClass, bool nearest)
    {
        using var scope = NewDisposeScope();
        var (layer4, _) = network.Features(rgb);
        var left = Map(layer4, network.Head, leftClass, rgb.shape[2], rgb.shape[3], nearest);
        var right = Map(layer4, network.Head, rightClass, rgb.shape[2], rgb.shape[3], nearest);
        return (FractionInHalf(left, left: true), FractionInHalf(right, left: false));
    }
}
