using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>How attributions are scaled before a metric uses them (Quantus's <c>normalise</c> and <c>normalise_func</c>).</summary>
public enum AttributionNormalization
{
    /// <summary>Used as given (Quantus's <c>normalise=False</c>).</summary>
    None,

    /// <summary>
    /// Divided by the largest absolute value of the whole batch, one scalar for all examples (Quantus's default
    /// <c>normalise_by_max</c>); an all-zero batch is left as is. A score can therefore change when other examples
    /// join the batch.
    /// </summary>
    MaxOfBatch,

    /// <summary>Each example divided by its own largest absolute value (<c>normalise_by_max</c> with <c>normalise_axes=[1,2,3]</c>).</summary>
    MaxPerExample,

    /// <summary>
    /// Where the batch has both signs, positive values divided by the batch's maximum and negative values by the
    /// magnitude of its minimum; a batch of one sign divided by its largest magnitude (Quantus's <c>normalise_by_negative</c>).
    /// </summary>
    ByNegative,
}

/// <summary>Which features a perturbation metric removes first.</summary>
public enum PerturbationOrder
{
    /// <summary>Highest attribution first (Quantus's <c>"morf"</c>, most relevant first).</summary>
    MostRelevantFirst,

    /// <summary>Lowest attribution first (Quantus's <c>"lerf"</c>, least relevant first).</summary>
    LeastRelevantFirst,
}

/// <summary>How a metric compares two vectors per example.</summary>
public enum Similarity
{
    /// <summary>Pearson's sample correlation (Quantus's <c>correlation_pearson</c>).</summary>
    Pearson,

    /// <summary>Spearman's rank correlation, ties get their average rank (Quantus's <c>correlation_spearman</c>).</summary>
    Spearman,

    /// <summary>Kendall's τ-b (Quantus's <c>correlation_kendall_tau</c>).</summary>
    KendallTau,

    /// <summary>
    /// Structural similarity of the two flattened vectors (Quantus's <c>ssim</c>, scikit-image's
    /// <c>structural_similarity</c> with a 7-wide window, K1 0.01, K2 0.03, data range of both vectors).
    /// </summary>
    Ssim,
}
