using System.Collections.Immutable;
using FluentAttrib.MLNet.Internal;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace FluentAttrib.MLNet;

/// <summary>
/// An ML.NET model to explain on tabular rows: <c>MLNetModel.From(model, background).For(class).With(method).Attribute(rows)</c>.
/// </summary>
/// <remarks>
/// <para><b>Features</b> are the model's input columns: each column is one feature (a numeric column; a categorical
/// column, whether text, key or an already one-hot encoded vector; a text column), except vector columns named in
/// <see cref="SplitSlots"/>, whose slots are one feature each. By default every column of the background but
/// <c>Label</c> is a feature; name them with <see cref="Features"/>.</para>
/// <para><b>Absent features</b> take the values of the background rows: a coalition's value is the model's score
/// averaged over the background with the coalition's features taken from the explained row (SHAP's
/// KernelExplainer; interventional, features treated as independent). The base value is the mean score of the
/// background. Cost grows with the background's size: 20–100 rows (e.g. <c>mlContext.Data.TakeRows</c> of shuffled
/// training data) are usual.</para>
/// <para><b>Scores</b>: the output column (<see cref="Output"/>, by default <c>Score</c>): a float or double for
/// regression and binary models (binary <c>Score</c> is the raw margin; <c>Output("Probability")</c> explains the
/// probability), a vector for multiclass models (choose the class with <see cref="For(int)"/>).</para>
/// <para>Every pass of a method is scored in one <c>Transform</c> over an in-memory data view holding all its rows
/// (no prediction engine per row). Immutable; thread-safe as the transformer is.</para>
/// </remarks>
public sealed record MLNetModel
{
    private MLNetModel(ITransformer model, IDataView background, RowTable backgroundTable, ModelScorer scorer, FeatureLayout layout)
    {
        Model = model;
        Background = background;
        BackgroundTable = backgroundTable;
        Scorer = scorer;
        Layout = layout;
    }

    /// <summary>The transformer (a fitted pipeline ending in a predictor) that is explained.</summary>
    public ITransformer Model { get; }

    /// <summary>The background rows: the baseline distribution absent features are drawn from.</summary>
    public IDataView Background { get; }

    internal RowTable BackgroundTable { get; }

    internal ModelScorer Scorer { get; private init; }

    internal FeatureLayout Layout { get; private init; }

    private ImmutableArray<string>? FeatureColumns { get; init; }

    private ImmutableArray<string> SplitColumns { get; init; } = [];

    /// <summary>Number of background rows.</summary>
    public int BackgroundRowCount => BackgroundTable.Count;

    /// <summary>The feature names, in the order of the attribution's columns.</summary>
    public IReadOnlyList<string> FeatureNames => Layout.Features.Select(f => f.Name).ToArray();

    /// <summary>The explained output column. <value>The default value is <c>Score</c>.</value></summary>
    public string OutputColumn => Scorer.Column;

    /// <summary>Number of classes of a vector output (multiclass), or null for a scalar output.</summary>
    public int? ClassCount => Scorer.IsVector ? Scorer.Width : null;

    /// <summary>
    /// Explains <paramref name="model"/> against <paramref name="background"/> (rows with the model's input columns,
    /// read once into memory; their columns are the input schema every explained row must have).
    /// </summary>
    /// <exception cref="ArgumentException">The background has no rows, or the model cannot score it, or it has no
    /// <c>Score</c> column of a usable type (then name the column with <see cref="Output"/>).</exception>
    public static MLNetModel From(ITransformer model, IDataView background)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(background);
        var table = RowTable.Empty(background.Schema);
        table.Append(background, nameof(background));
        if (table.Count == 0) throw new ArgumentException("The background has no rows; give at least one (usually 20–100 training rows).", nameof(background));
        var layout = FeatureLayout.Build(table.Schema, null, []);
        ModelScorer scorer;
        try
        {
            scorer = ModelScorer.Create(model, background, "Score");
        }
        catch (ArgumentException e) when (e.ParamName == "column")
        {
            throw new ArgumentException(e.Message + " Choose the output with Output(name).", nameof(model), e);
        }
        return new MLNetModel(model, background, table, scorer, layout);
    }

    /// <summary>Uses <paramref name="columns"/> as the features, in this order (by default every column but <c>Label</c>).</summary>
    /// <exception cref="ArgumentException">No column, an unknown or repeated column.</exception>
    public MLNetModel Features(params string[] columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Length == 0) throw new ArgumentException("Name at least one feature column.", nameof(columns));
        var names = columns.ToImmutableArray();
        return this with { FeatureColumns = names, Layout = FeatureLayout.Build(BackgroundTable.Schema, names, SplitColumns) };
    }

    /// <summary>
    /// Treats each slot of the vector columns <paramref name="columns"/> as its own feature (named by the column's
    /// slot names, else <c>column[i]</c>). By default a vector column is one feature (e.g. a one-hot group).
    /// </summary>
    /// <exception cref="ArgumentException">A column is not a feature vector of known size.</exception>
    public MLNetModel SplitSlots(params string[] columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        var names = SplitColumns.AddRange(columns);
        return this with { SplitColumns = names, Layout = FeatureLayout.Build(BackgroundTable.Schema, FeatureColumns, names) };
    }

    /// <summary>Explains the output column <paramref name="column"/> (e.g. <c>Probability</c> of a binary classifier).</summary>
    /// <exception cref="ArgumentException">The model has no such column, or it is not a float or double scalar or vector.</exception>
    public MLNetModel Output(string column)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(column);
        return this with { Scorer = ModelScorer.Create(Model, Background, column) };
    }

    /// <summary>Explains the score of class <paramref name="classIndex"/> of a multiclass model (an index into the score vector).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not an index of the output vector.</exception>
    /// <exception cref="InvalidOperationException">The output is a scalar: use <see cref="With"/> directly.</exception>
    public MLNetTargetedExplainer For(int classIndex)
    {
        int classes = RequireClasses();
        if (classIndex < 0 || classIndex >= classes)
            throw new ArgumentOutOfRangeException(nameof(classIndex), classIndex, $"The output '{OutputColumn}' has {classes} classes (0 to {classes - 1}).");
        return new MLNetTargetedExplainer(this, ClassTarget.Shared(classIndex));
    }

    /// <summary>Explains one class per explained row (e.g. each row's predicted class).</summary>
    /// <exception cref="ArgumentException">Empty, or an index outside the output vector.</exception>
    public MLNetTargetedExplainer For(params int[] perRowClasses)
    {
        ArgumentNullException.ThrowIfNull(perRowClasses);
        int classes = RequireClasses();
        if (perRowClasses.Length == 0) throw new ArgumentException("Give one class per explained row.", nameof(perRowClasses));
        for (int i = 0; i < perRowClasses.Length; i++)
            if (perRowClasses[i] < 0 || perRowClasses[i] >= classes)
                throw new ArgumentException($"Class {perRowClasses[i]} (row {i}) is not one of the {classes} classes of '{OutputColumn}'.", nameof(perRowClasses));
        return new MLNetTargetedExplainer(this, ClassTarget.PerRow(perRowClasses));
    }

    /// <summary>Explains a scalar output (regression, binary) with <paramref name="method"/>.</summary>
    /// <exception cref="InvalidOperationException">The output is a vector (multiclass): choose a class with <see cref="For(int)"/>.</exception>
    /// <exception cref="ArgumentException">The method cannot explain an ML.NET model (see <see cref="MLNetAttributionRun"/>).</exception>
    public MLNetAttributionRun With(AttributionMethod method)
    {
        if (Scorer.IsVector)
            throw new InvalidOperationException(
                $"The output '{OutputColumn}' holds {Scorer.Width} scores per row (one per class): choose the class with For(classIndex) before With(method).");
        return new MLNetTargetedExplainer(this, ClassTarget.None).With(method);
    }

    private int RequireClasses() => Scorer.IsVector
        ? Scorer.Width
        : throw new InvalidOperationException($"The output '{OutputColumn}' is one score per row: it has no classes to choose from; call With(method) directly.");
}

/// <summary>An ML.NET model and the class explained. Next: <see cref="With"/>.</summary>
public sealed class MLNetTargetedExplainer
{
    internal MLNetTargetedExplainer(MLNetModel model, ClassTarget target)
    {
        Model = model;
        ClassTarget = target;
    }

    /// <summary>The model.</summary>
    public MLNetModel Model { get; }

    internal ClassTarget ClassTarget { get; }

    /// <summary>The target as the core API spells it (a class index, one per row, or none).</summary>
    public Target Target => ClassTarget.ToTarget();

    /// <summary>
    /// Uses <paramref name="method"/>: <see cref="KernelShap"/>, <see cref="ShapleyValueSampling"/>,
    /// <see cref="ShapleyValues"/>, <see cref="FeatureAblation"/>, <see cref="FeaturePermutation"/> or <see cref="Lime"/>,
    /// with their default (zero) baseline: the background takes the baseline's place.
    /// </summary>
    /// <exception cref="ArgumentException">A method that needs gradients or another input shape, or a baseline was set.</exception>
    public MLNetAttributionRun With(AttributionMethod method)
    {
        ArgumentNullException.ThrowIfNull(method);
        MethodSupport.Check(method);
        return new MLNetAttributionRun(Model, ClassTarget, method);
    }
}
