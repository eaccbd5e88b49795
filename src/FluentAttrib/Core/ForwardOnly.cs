namespace FluentAttrib.Core;

/// <summary>
/// Which methods need only forward passes, so that they can explain a black-box model (no gradients): the
/// perturbation methods, the surrogates, RISE, and NoiseTunnel over one of them. Every other method is refused on a
/// black box with <see cref="GradientsUnavailableException"/> before the first pass.
/// </summary>
internal static class ForwardOnly
{
    private static readonly HashSet<string> Methods =
        [nameof(Occlusion), nameof(FeatureAblation), nameof(FeaturePermutation), nameof(ShapleyValues), nameof(ShapleyValueSampling),
         nameof(KernelShap), nameof(Lime), nameof(Rise)];

    /// <summary>Whether <paramref name="method"/> runs on forward passes alone.</summary>
    public static bool Accepts(AttributionMethod method) =>
        method is NoiseTunnel tunnel ? Accepts(tunnel.Inner) : Methods.Contains(method.GetType().Name);

    /// <summary>Throws <see cref="GradientsUnavailableException"/> when <paramref name="forward"/> is a black box and <paramref name="method"/> needs gradients.</summary>
    public static void Check(ForwardFunction forward, AttributionMethod method)
    {
        if (!forward.Differentiable && !Accepts(method))
            throw new GradientsUnavailableException(method.Name, forward.Description);
    }

    /// <summary>Throws <see cref="GradientsUnavailableException"/> when <paramref name="forward"/> is a black box (for methods that always need gradients).</summary>
    public static void RequireGradients(ForwardFunction forward, string method)
    {
        if (!forward.Differentiable)
            throw new GradientsUnavailableException(method, forward.Description);
    }
}
