namespace FluentAttrib.Plotting;

/// <summary>
/// The normalization Captum applies before drawing (<c>_normalize_attr</c>, <c>_cumulative_sum_threshold</c>,
/// <c>_normalize_scale</c> in <c>captum/attr/_utils/visualization.py</c>), as pure functions on arrays:
/// sum over channels, keep the chosen sign, divide by the value below which
/// (100 − outlier percent)% of the total magnitude lies, clip to [−1, 1].
/// </summary>
/// <remarks>
/// Differences from Captum, each deliberate: an all-zero selection gives an empty map (flagged by
/// <see cref="NormalizedAttribution.IsEmpty"/>) instead of an assertion failure (Captum #959); the scale factor is
/// returned as a positive magnitude for every sign (Captum returns it negated for <see cref="AttributionSign.Negative"/>
/// and then divides the negative values by it, which gives the same result).
/// </remarks>
public static class AttributionNormalization
{
    /// <summary>Captum's default share of the total magnitude treated as outliers, in percent. <value>2</value></summary>
    public const double DefaultOutlierPercent = 2;

    /// <summary>
    /// Below this largest magnitude, attributions are considered tiny: they are still scaled to the full color range,
    /// but <see cref="NormalizedAttribution.IsTiny"/> is set so figures can say so (Captum #393 warns at the same value).
    /// </summary>
    public const double TinyThreshold = 1e-5;

    /// <summary>Sums an (H, W, C) array over its channels (the last dimension), giving (H, W).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="hwc"/> is null.</exception>
    public static double[,] SumChannels(double[,,] hwc)
    {
        ArgumentNullException.ThrowIfNull(hwc);
        int h = hwc.GetLength(0), w = hwc.GetLength(1), c = hwc.GetLength(2);
        var sum = new double[h, w];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double s = 0;
                for (int k = 0; k < c; k++) s += hwc[y, x, k];
                sum[y, x] = s;
            }
        return sum;
    }

    /// <summary>Sums a flat, row-major (H, W, C) array over its channels, giving a flat (H, W) array.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="channels"/> is not positive or does not divide the length.</exception>
    public static double[] SumChannels(ReadOnlySpan<double> hwc, int channels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        if (hwc.Length % channels != 0)
            throw new ArgumentOutOfRangeException(nameof(channels), channels, $"{hwc.Length} values do not split into {channels} channels.");
        var sum = new double[hwc.Length / channels];
        for (int i = 0; i < sum.Length; i++)
        {
            double s = 0;
            for (int k = 0; k < channels; k++) s += hwc[i * channels + k];
            sum[i] = s;
        }
        return sum;
    }

    /// <summary>
    /// Captum's <c>_cumulative_sum_threshold</c>: sorts the (non-negative) values, accumulates them, and returns the
    /// first value at which the running sum reaches <paramref name="percentile"/>% of the total.
    /// </summary>
    /// <param name="values">Non-negative values (magnitudes).</param>
    /// <param name="percentile">Share of the total, 0 to 100.</param>
    /// <returns>The threshold; 0 when all values are 0.</returns>
    /// <exception cref="ArgumentException"><paramref name="values"/> is empty or has a negative or non-finite value.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="percentile"/> is outside [0, 100].</exception>
    public static double CumulativeSumThreshold(ReadOnlySpan<double> values, double percentile)
    {
        if (!(percentile >= 0 && percentile <= 100))
            throw new ArgumentOutOfRangeException(nameof(percentile), percentile, "The percentile must be between 0 and 100 inclusive.");
        if (values.IsEmpty) throw new ArgumentException("There are no values to threshold.", nameof(values));
        var sorted = values.ToArray();
        foreach (double v in sorted)
            if (!(v >= 0) || double.IsInfinity(v))
                throw new ArgumentException($"Threshold values must be finite magnitudes; found {v}.", nameof(values));
        Array.Sort(sorted);
        var cumulative = new double[sorted.Length];
        double running = 0;
        for (int i = 0; i < sorted.Length; i++) cumulative[i] = running += sorted[i];
        // Same expression and order as NumPy's `cum_sums[-1] * 0.01 * percentile`, so the boundary case agrees.
        double target = cumulative[^1] * 0.01 * percentile;
        for (int i = 0; i < cumulative.Length; i++)
            if (cumulative[i] >= target) return sorted[i];
        return sorted[^1];
    }

    /// <summary>
    /// Keeps the values of the chosen sign: <see cref="AttributionSign.All"/> keeps everything,
    /// <see cref="AttributionSign.Positive"/> zeroes negatives, <see cref="AttributionSign.Negative"/> zeroes positives
    /// (the result stays negative), <see cref="AttributionSign.AbsoluteValue"/> takes magnitudes.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Unknown sign.</exception>
    public static double[] SelectSign(ReadOnlySpan<double> values, AttributionSign sign)
    {
        CheckSign(sign);
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            double v = values[i];
            result[i] = sign switch
            {
                AttributionSign.All => v,
                AttributionSign.Positive => v > 0 ? v : 0,
                AttributionSign.Negative => v < 0 ? v : 0,
                _ => Math.Abs(v),
            };
        }
        return result;
    }

    /// <summary>
    /// The magnitude Captum divides by: the <see cref="CumulativeSumThreshold"/> of the magnitudes of the selected
    /// values at 100 − <paramref name="outlierPercent"/>. Returns 0 when nothing of the chosen sign is non-zero.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="outlierPercent"/> is outside [0, 100), or the sign is unknown.</exception>
    /// <exception cref="ArgumentException"><paramref name="values"/> is empty or has non-finite values.</exception>
    public static double ScaleFactor(ReadOnlySpan<double> values, AttributionSign sign, double outlierPercent = DefaultOutlierPercent)
    {
        CheckOutlierPercent(outlierPercent);
        var selected = SelectSign(values, sign);
        for (int i = 0; i < selected.Length; i++) selected[i] = Math.Abs(selected[i]);
        return CumulativeSumThreshold(selected, 100.0 - outlierPercent);
    }

    /// <summary>
    /// Captum's normalization of one map: select the sign, divide by <see cref="ScaleFactor"/>, clip to [−1, 1].
    /// Negative attributions come out as magnitudes in [0, 1], as in Captum. An empty selection gives zeros and
    /// <see cref="NormalizedAttribution.IsEmpty"/> instead of failing.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="outlierPercent"/> is outside [0, 100), or the sign is unknown.</exception>
    /// <exception cref="ArgumentException"><paramref name="values"/> is empty or has non-finite values.</exception>
    public static NormalizedAttribution Normalize(ReadOnlySpan<double> values, AttributionSign sign, double outlierPercent = DefaultOutlierPercent) =>
        NormalizeWith(values, sign, ScaleFactor(values, sign, outlierPercent));

    /// <summary>
    /// Selects the sign, divides by <paramref name="scale"/> (a magnitude) and clips to [−1, 1]. Use it to apply one
    /// scale to several maps, or none at all (a scale of 1).
    /// </summary>
    /// <param name="values">The attributions (already summed over channels for images).</param>
    /// <param name="sign">The sign to keep.</param>
    /// <param name="scale">The magnitude that maps to the end of the color range; 0 only when the selection is empty.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="scale"/> is negative or not finite, or the sign is unknown.</exception>
    /// <exception cref="ArgumentException"><paramref name="values"/> is empty or has non-finite values.</exception>
    public static NormalizedAttribution NormalizeWith(ReadOnlySpan<double> values, AttributionSign sign, double scale)
    {
        if (!(scale >= 0) || double.IsInfinity(scale))
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "The scale must be a finite magnitude (>= 0).");
        if (values.IsEmpty) throw new ArgumentException("There are no values to normalize.", nameof(values));
        var selected = SelectSign(values, sign);
        double maxAbs = 0;
        foreach (double v in selected)
        {
            if (!double.IsFinite(v)) throw new ArgumentException($"Attributions must be finite; found {v}.", nameof(values));
            maxAbs = Math.Max(maxAbs, Math.Abs(v));
        }
        var result = new double[selected.Length];
        int clipped = 0;
        if (maxAbs > 0 && scale > 0)
        {
            double divisor = sign == AttributionSign.Negative ? -scale : scale;
            for (int i = 0; i < result.Length; i++)
            {
                double r = selected[i] / divisor;
                if (r > 1) { r = 1; clipped++; }
                else if (r < -1) { r = -1; clipped++; }
                result[i] = r;
            }
        }
        return new NormalizedAttribution(result, maxAbs > 0 ? scale : 0, maxAbs, clipped, sign);
    }

    internal static void CheckOutlierPercent(double outlierPercent)
    {
        if (!(outlierPercent >= 0 && outlierPercent < 100))
            throw new ArgumentOutOfRangeException(nameof(outlierPercent), outlierPercent, "The outlier percentage must be in [0, 100).");
    }

    internal static void CheckSign(AttributionSign sign)
    {
        if (!Enum.IsDefined(sign)) throw new ArgumentOutOfRangeException(nameof(sign), sign, "Unknown attribution sign.");
    }
}

/// <summary>The result of <see cref="AttributionNormalization"/>: values in [−1, 1] and what it took to get there.</summary>
public sealed class NormalizedAttribution
{
    internal NormalizedAttribution(double[] values, double scale, double maxAbsolute, int clippedCount, AttributionSign sign)
    {
        Values = values;
        Scale = scale;
        MaxAbsolute = maxAbsolute;
        ClippedCount = clippedCount;
        Sign = sign;
    }

    /// <summary>
    /// The normalized values, in the order given: in [−1, 1] for <see cref="AttributionSign.All"/>, in [0, 1] otherwise
    /// (negative attributions as magnitudes).
    /// </summary>
    public double[] Values { get; }

    /// <summary>The magnitude the selected values were divided by; 0 when the selection is empty.</summary>
    public double Scale { get; }

    /// <summary>The largest magnitude among the selected values (before scaling).</summary>
    public double MaxAbsolute { get; }

    /// <summary>How many values were beyond the scale and clipped to ±1 (Captum's outliers, by design at the default scale).</summary>
    public int ClippedCount { get; }

    /// <summary>The sign that was selected.</summary>
    public AttributionSign Sign { get; }

    /// <summary>True when no value of the chosen sign is non-zero: the map is empty (Captum #959 crashes here).</summary>
    public bool IsEmpty => MaxAbsolute == 0;

    /// <summary>
    /// True when the largest selected magnitude is below <see cref="AttributionNormalization.TinyThreshold"/> but not
    /// zero: colors then stretch values that may be numerical noise (Captum #393).
    /// </summary>
    public bool IsTiny => MaxAbsolute > 0 && MaxAbsolute < AttributionNormalization.TinyThreshold;
}
