namespace FluentAttrib.Plotting;

/// <summary>The SHAP-style views of tabular attributions (rows × features).</summary>
public enum TabularMethod
{
    /// <summary>Every row's attribution per feature as a dot, features sorted by mean |attribution|, dots colored by the feature's value (SHAP's <c>beeswarm</c>).</summary>
    Beeswarm,

    /// <summary>One row: arrows from the base value to the prediction, one per feature (SHAP's <c>waterfall</c>).</summary>
    Waterfall,

    /// <summary>Mean |attribution| per feature as horizontal bars (SHAP's <c>bar</c> of an explanation set).</summary>
    Bar,

    /// <summary>One feature's attribution against its value, one dot per row, optionally colored by a second feature (SHAP's <c>scatter</c>, formerly <c>dependence_plot</c>).</summary>
    Dependence,
}

/// <summary>
/// A SHAP-style view of tabular attributions: <c>TabularView.Beeswarm</c>, <c>TabularView.Waterfall</c>,
/// <c>TabularView.Bar</c>, <c>TabularView.Dependence("Proline")</c>. Immutable. Draw it with
/// <c>attribution.Plot(view).Over(featureValues).WithFeatureNames(names)</c>.
/// </summary>
public sealed record TabularView
{
    /// <summary>SHAP's default number of rows shown (the rest are summed into one row).</summary>
    public const int DefaultMaxDisplay = 10;

    private TabularView(TabularMethod method) => Method = method;

    /// <summary>Features × rows, dots colored by feature value.</summary>
    public static TabularView Beeswarm { get; } = new(TabularMethod.Beeswarm);

    /// <summary>One row from the base value to the prediction.</summary>
    public static TabularView Waterfall { get; } = new(TabularMethod.Waterfall);

    /// <summary>Mean |attribution| per feature.</summary>
    public static TabularView Bar { get; } = new(TabularMethod.Bar);

    /// <summary>The attribution of the feature named <paramref name="feature"/> against its value.</summary>
    /// <exception cref="ArgumentException">An empty name.</exception>
    public static TabularView Dependence(string feature)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(feature);
        return new(TabularMethod.Dependence) { FeatureName = feature };
    }

    /// <summary>The attribution of feature <paramref name="feature"/> (a column index) against its value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative index.</exception>
    public static TabularView Dependence(int feature)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(feature);
        return new(TabularMethod.Dependence) { FeatureIndex = feature };
    }

    /// <summary>The view's kind.</summary>
    public TabularMethod Method { get; }

    /// <summary>Rows shown by beeswarm, waterfall and bar views; the remaining features are summed into one last row. <value>The default value is 10 (SHAP's <c>max_display</c>).</value></summary>
    public int MaxDisplay { get; private init; } = DefaultMaxDisplay;

    /// <summary>The dependence view's feature by name, or null.</summary>
    public string? FeatureName { get; private init; }

    /// <summary>The dependence view's feature by index, or null.</summary>
    public int? FeatureIndex { get; private init; }

    /// <summary>The feature whose values color a dependence view's dots (by name), or null for one color.</summary>
    public string? ColorFeatureName { get; private init; }

    /// <summary>The feature whose values color a dependence view's dots (by index), or null.</summary>
    public int? ColorFeatureIndex { get; private init; }

    /// <summary>Shows at most <paramref name="rows"/> rows; the remaining features are summed into the last one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public TabularView WithMaxDisplay(int rows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        return this with { MaxDisplay = rows };
    }

    /// <summary>Colors a dependence view's dots by the values of the feature named <paramref name="feature"/> (SHAP's <c>color=</c>).</summary>
    /// <exception cref="InvalidOperationException">Not a dependence view.</exception>
    public TabularView WithColorFeature(string feature)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(feature);
        RequireDependence();
        return this with { ColorFeatureName = feature, ColorFeatureIndex = null };
    }

    /// <summary>Colors a dependence view's dots by the values of feature <paramref name="feature"/> (a column index).</summary>
    /// <exception cref="InvalidOperationException">Not a dependence view.</exception>
    public TabularView WithColorFeature(int feature)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(feature);
        RequireDependence();
        return this with { ColorFeatureIndex = feature, ColorFeatureName = null };
    }

    private void RequireDependence()
    {
        if (Method != TabularMethod.Dependence)
            throw new InvalidOperationException($"Only a dependence view colors its dots by a second feature; this is a {Method} view.");
    }

    /// <summary>SHAP's names, e.g. <c>beeswarm</c> or <c>dependence(Proline)</c>.</summary>
    public override string ToString() => Method switch
    {
        TabularMethod.Dependence => $"dependence({FeatureName ?? FeatureIndex?.ToString(System.Globalization.CultureInfo.InvariantCulture)})",
        _ => Method.ToString().ToLowerInvariant(),
    };
}
