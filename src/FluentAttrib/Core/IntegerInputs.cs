namespace FluentAttrib.Core;

/// <summary>
/// Which input-space methods accept integer inputs (token ids, category codes): those that only replace, permute or
/// mask values, never scale, interpolate or add noise. Every other method refuses them with one message
/// (<see cref="RunChecks.IntegerMessage"/>) before the first forward pass.
/// </summary>
internal static class IntegerInputs
{
    private static readonly HashSet<string> Accepting =
        [nameof(Occlusion), nameof(FeatureAblation), nameof(FeaturePermutation), nameof(ShapleyValues), nameof(ShapleyValueSampling), nameof(KernelShap), nameof(Lime),
         nameof(AttentionRollout), nameof(AttentionFlow), nameof(GradientWeightedRollout)];

    /// <summary>Whether <paramref name="method"/> can run on integer inputs.</summary>
    public static bool Accepts(AttributionMethod method) => Accepting.Contains(method.GetType().Name);
}
