namespace FluentAttrib.MLNet.Internal;

/// <summary>Which methods can explain an ML.NET model: those that only replace whole features by the baseline or permute them.</summary>
internal static class MethodSupport
{
    /// <summary>
    /// Rows the model scores per pass when the method's <c>PerturbationsPerPass</c> is not set: a Transform has a fixed
    /// cost (binding the pipeline to a new view), so passes are made large; memory stays small (the composite rows are
    /// indices into the rows in memory).
    /// </summary>
    public const int RowsPerPass = 1 << 16;

    /// <exception cref="ArgumentException">Not a supported method, or it has a baseline.</exception>
    public static void Check(AttributionMethod method)
    {
        var baseline = method switch
        {
            KernelShap m => m.Settings.Baseline,
            Lime m => m.Settings.Baseline,
            ShapleyValueSampling m => m.Settings.Baseline,
            ShapleyValues m => m.Settings.Baseline,
            FeatureAblation m => m.Settings.Baseline,
            FeaturePermutation => Baselines.Zero,
            _ => throw new ArgumentException(
                $"{method.Name} cannot explain an ML.NET model: it needs gradients or perturbs parts of features. " +
                "Use KernelShap, ShapleyValueSampling, ShapleyValues, FeatureAblation, FeaturePermutation or Lime.", nameof(method)),
        };
        if (baseline != Baselines.Zero)
            throw new ArgumentException(
                $"{method.Name} has a baseline ({baseline}); for an ML.NET model the background rows are the baseline. Leave the baseline at its default.",
                nameof(method));
    }

    /// <summary>
    /// The method with <c>PerturbationsPerPass</c> planned for about <see cref="RowsPerPass"/> scored rows per pass
    /// (each perturbed copy of <paramref name="rows"/> rows costs up to <paramref name="background"/> scored rows each),
    /// unless the user set it.
    /// </summary>
    public static AttributionMethod Plan(AttributionMethod method, int rows, int background)
    {
        int perPass = Math.Max(1, RowsPerPass / Math.Max(1, rows * background));
        return method switch
        {
            KernelShap m => m.Settings.PerturbationsPerPass is null ? m.PerturbationsPerPass(perPass) : m,
            Lime m => m.Settings.PerturbationsPerPass is null ? m.PerturbationsPerPass(perPass) : m,
            ShapleyValueSampling m => m.Settings.PerturbationsPerPass is null ? m.PerturbationsPerPass(perPass) : m,
            ShapleyValues m => m.Settings.PerturbationsPerPass is null ? m.PerturbationsPerPass(perPass) : m,
            FeatureAblation m => m.Settings.PerturbationsPerPass is null ? m.PerturbationsPerPass(perPass) : m,
            FeaturePermutation m => m.Settings.PerturbationsPerPass is null ? m.PerturbationsPerPass(perPass) : m,
            _ => method,
        };
    }
}
