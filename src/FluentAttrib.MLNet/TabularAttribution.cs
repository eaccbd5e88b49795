using static TorchSharp.torch;

namespace FluentAttrib.MLNet;

/// <summary>
/// The attribution of tabular rows: the core <see cref="FluentAttrib.Attribution"/> (one row per explained row, one
/// column per feature, float64), with the feature names, the rows' feature values, the base value (mean score of
/// the background) and the explained scores. Disposing it disposes its tensors.
/// </summary>
public sealed class TabularAttribution : IDisposable
{
    internal TabularAttribution(Attribution attribution, IReadOnlyList<string> featureNames, Tensor featureValues,
        IReadOnlyList<double> baseValues, IReadOnlyList<double> predictions)
    {
        Attribution = attribution;
        FeatureNames = featureNames;
        FeatureValues = featureValues;
        BaseValues = baseValues;
        Predictions = predictions;
    }

    /// <summary>The attribution as every FluentAttrib method returns it (plot it with FluentAttrib.Plotting's tabular views).</summary>
    public Attribution Attribution { get; }

    /// <summary>The attributions: (rows, features), float64.</summary>
    public Tensor Value => Attribution.Value;

    /// <summary>The feature names, one per column of <see cref="Value"/>.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>
    /// The explained rows' feature values (rows, features), float64: numbers, booleans as 0/1, key columns as their
    /// key; NaN for text, whole vectors and other values that are not one number.
    /// </summary>
    public Tensor FeatureValues { get; }

    /// <summary>Per row: the explained score averaged over the background (SHAP's expected value).</summary>
    public IReadOnlyList<double> BaseValues { get; }

    /// <summary>Per row: the explained score of the row (as the methods saw it).</summary>
    public IReadOnlyList<double> Predictions { get; }

    /// <summary>A short description of the method and its settings.</summary>
    public string Method => Attribution.Method;

    /// <summary>The target (class) explained.</summary>
    public Target Target => Attribution.Target;

    /// <inheritdoc />
    public override string ToString() => $"{Attribution} over {FeatureNames.Count} features";

    /// <inheritdoc />
    public void Dispose()
    {
        Attribution.Dispose();
        FeatureValues.Dispose();
    }
}
