using System.Globalization;

namespace FluentAttrib.Plotting;

/// <summary>How attributions are mapped to the color range.</summary>
public enum AttributionScaleKind
{
    /// <summary>Captum's scaling: each panel divides by its own outlier-percentile threshold.</summary>
    PerPanel,

    /// <summary>One outlier-percentile threshold computed over all panels of the figure together, so panels compare.</summary>
    Shared,

    /// <summary>No normalization: values are drawn as they are, clipped to [−1, 1].</summary>
    Raw,

    /// <summary>Values are divided by a fixed value and clipped to [−1, 1].</summary>
    Fixed,
}

/// <summary>
/// How attributions are scaled before coloring. Captum always rescales each plot by its own outlier-percentile
/// threshold (<see cref="PerPanel"/>); that hides how panels differ in magnitude (Captum issue #1103), so a figure can
/// also share one threshold across panels, use the raw values, or divide by a fixed value.
/// When the scale is not per panel, colorbars are labelled in attribution units.
/// </summary>
public sealed record AttributionScale
{
    private AttributionScale(AttributionScaleKind kind, double value)
    {
        Kind = kind;
        Value = value;
    }

    /// <summary>Captum's default: each panel is divided by its own outlier-percentile threshold.</summary>
    public static AttributionScale PerPanel { get; } = new(AttributionScaleKind.PerPanel, double.NaN);

    /// <summary>One threshold for all panels of a figure, computed from all their values together.</summary>
    public static AttributionScale Shared { get; } = new(AttributionScaleKind.Shared, double.NaN);

    /// <summary>No rescaling: a value of 1 gets the end of the colormap; larger values are clipped (and the caption says so).</summary>
    public static AttributionScale Raw { get; } = new(AttributionScaleKind.Raw, 1);

    /// <summary>Divides by <paramref name="maxAbsolute"/>: that value gets the end of the colormap.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive and finite.</exception>
    public static AttributionScale Fixed(double maxAbsolute)
    {
        if (!(maxAbsolute > 0) || double.IsInfinity(maxAbsolute))
            throw new ArgumentOutOfRangeException(nameof(maxAbsolute), maxAbsolute, "A fixed scale must be positive and finite.");
        return new(AttributionScaleKind.Fixed, maxAbsolute);
    }

    /// <summary>The kind of scaling.</summary>
    public AttributionScaleKind Kind { get; }

    /// <summary>The divisor of <see cref="AttributionScaleKind.Fixed"/> (1 for <see cref="AttributionScaleKind.Raw"/>), otherwise NaN.</summary>
    public double Value { get; }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        AttributionScaleKind.Fixed => "Fixed(" + Value.ToString("G6", CultureInfo.InvariantCulture) + ")",
        _ => Kind.ToString(),
    };
}
