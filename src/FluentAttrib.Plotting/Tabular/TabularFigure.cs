using System.Collections.Immutable;
using System.Globalization;
using ScottPlot;
using static TorchSharp.torch;

namespace FluentAttrib.Plotting;

/// <summary>
/// SHAP-style views of tabular attributions (one row per example, one column per feature): start with
/// <c>attribution.Plot(TabularView.Beeswarm)</c>, give the feature values with <see cref="Over"/> (needed by the
/// beeswarm's colors, the waterfall's labels and the dependence view) and the names with
/// <see cref="WithFeatureNames(string[])"/>; a waterfall also needs <see cref="WithBaseValue"/> and, for several
/// rows, <see cref="ForExample"/>. Immutable; rendering is deterministic (same input, same PNG).
/// </summary>
public sealed record TabularFigure : AttributionFigure<TabularFigure>
{
    internal TabularFigure(Tensor attribution, TabularView view)
    {
        AttributionTensor = attribution;
        View = view;
    }

    private Tensor AttributionTensor { get; init; }

    /// <summary>The view.</summary>
    public TabularView View { get; private init; }

    /// <summary>The feature values (same shape as the attribution; NaN for values that are not numbers), or null.</summary>
    public Tensor? FeatureValues { get; private init; }

    /// <summary>A name per feature, or null for <c>Feature 0</c>, <c>Feature 1</c>, ….</summary>
    public IReadOnlyList<string>? FeatureNames { get; private init; }

    /// <summary>The waterfall's starting point: the model's mean output over the background (SHAP's <c>E[f(X)]</c>), or null.</summary>
    public double? BaseValue { get; private init; }

    /// <summary>The row a waterfall draws, or null (the attribution must then hold one row).</summary>
    public int? Example { get; private init; }

    /// <summary>The feature values the attributions belong to: (rows, features) like the attribution; NaN marks a value that is not a number (drawn gray).</summary>
    public TabularFigure Over(Tensor featureValues)
    {
        ArgumentNullException.ThrowIfNull(featureValues);
        return this with { FeatureValues = featureValues };
    }

    /// <summary>Names the features (one per attribution column).</summary>
    public TabularFigure WithFeatureNames(params string[] names)
    {
        ArgumentNullException.ThrowIfNull(names);
        return WithFeatureNames((IReadOnlyList<string>)names);
    }

    /// <summary>Names the features (one per attribution column).</summary>
    /// <exception cref="ArgumentException">A name is null.</exception>
    public TabularFigure WithFeatureNames(IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.Any(n => n is null)) throw new ArgumentException("Feature names must not be null.", nameof(names));
        return this with { FeatureNames = names.ToImmutableArray() };
    }

    /// <summary>The waterfall's base value (the expected model output, e.g. the mean score of the background).</summary>
    /// <exception cref="NonFiniteValuesException">NaN or infinite.</exception>
    public TabularFigure WithBaseValue(double baseValue)
    {
        if (!double.IsFinite(baseValue)) throw new NonFiniteValuesException($"The base value is {baseValue}; it must be finite.");
        return this with { BaseValue = baseValue };
    }

    /// <summary>Draws row <paramref name="index"/> (waterfall).</summary>
    public TabularFigure ForExample(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return this with { Example = index };
    }

    /// <summary>The figure as a ScottPlot <see cref="Plot"/> (dispose it when done).</summary>
    public Plot ToPlot()
    {
        var data = ReadData();
        return Build(data, ResolvedFont, out _);
    }

    internal override PreparedFigure Prepare()
    {
        var data = ReadData();
        string font = ResolvedFont;
        var plot = Build(data, font, out var size);
        var multiplot = new Multiplot();
        multiplot.Reset(plot);
        return new MultiplotFigure
        {
            Width = Width ?? size.Width,
            Height = Height ?? size.Height,
            Font = font,
            Multiplot = multiplot,
            Notes = data.Notes,
        };
    }

    /// <summary>Reads and checks the tensors: attributions (rows, features), values of the same shape, names.</summary>
    internal TabularData ReadData()
    {
        var attr = TensorData.Read(AttributionTensor, "the attribution");
        if (attr.Rank is not (1 or 2))
            throw new AttributionShapeException($"The attribution has shape {attr.ShapeText}; tabular views draw (rows, features) or (features).");
        int rows = attr.Rank == 1 ? 1 : checked((int)attr.Shape[0]);
        int features = checked((int)attr.Shape[^1]);
        double[]? values = null;
        if (FeatureValues is not null)
        {
            var v = TensorData.Read(FeatureValues, "the feature values", allowNaN: true);
            if (v.Values.Length != attr.Values.Length || v.Shape[^1] != features)
                throw new AttributionShapeException(
                    $"The feature values (shape {v.ShapeText}) do not match the attribution (shape {attr.ShapeText}).");
            values = v.Values;
        }
        string[] names;
        if (FeatureNames is null) names = Enumerable.Range(0, features).Select(i => "Feature " + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        else if (FeatureNames.Count != features)
            throw new ArgumentException($"There are {FeatureNames.Count} feature names for {features} features.", nameof(FeatureNames));
        else names = FeatureNames.ToArray();
        return new TabularData(attr.Values, values, names, rows, features);
    }

    private Plot Build(TabularData data, string font, out (int Width, int Height) size)
    {
        var plot = new Plot();
        try
        {
            size = View.Method switch
            {
                TabularMethod.Beeswarm => TabularPlots.Beeswarm(plot, data, View.MaxDisplay, font),
                TabularMethod.Bar => TabularPlots.Bar(plot, data, View.MaxDisplay, font),
                TabularMethod.Waterfall => TabularPlots.Waterfall(plot, data, View.MaxDisplay, WaterfallRow(data), BaseValue
                    ?? throw new MissingInputException("A waterfall starts at the base value (the mean model output over the background): give it with WithBaseValue(value)."), font),
                _ => TabularPlots.Dependence(plot, data, Resolve(data, View.FeatureName, View.FeatureIndex, "feature")!.Value,
                    Resolve(data, View.ColorFeatureName, View.ColorFeatureIndex, "color feature"), font),
            };
            PlotStyling.Title(plot, Title, font);
            PlotStyling.Font(plot, font);
            PlotStyling.Caption(plot, data.Notes, Width ?? size.Width, font);
            return plot;
        }
        catch
        {
            plot.Dispose();
            throw;
        }
    }

    private int WaterfallRow(TabularData data)
    {
        if (Example is { } e)
        {
            if (e >= data.Rows) throw new AttributionShapeException($"Example {e} is out of range: the attribution holds {data.Rows} row(s).");
            return e;
        }
        if (data.Rows == 1) return 0;
        throw new AttributionShapeException($"The attribution holds {data.Rows} rows; a waterfall draws one: choose it with ForExample(index).");
    }

    private static int? Resolve(TabularData data, string? name, int? index, string what)
    {
        if (name is not null)
        {
            int i = Array.IndexOf(data.Names, name);
            if (i < 0)
                throw new ArgumentException($"There is no feature named '{name}' (the {what}); the features are {string.Join(", ", data.Names.Select(n => "'" + n + "'"))}.", nameof(name));
            return i;
        }
        if (index is { } k && k >= data.Features)
            throw new AttributionShapeException($"Feature {k} (the {what}) is out of range: there are {data.Features} features.");
        return index;
    }
}

/// <summary>Attributions and feature values, row-major (rows × features); values may hold NaN.</summary>
internal sealed record TabularData(double[] Attributions, double[]? Values, string[] Names, int Rows, int Features)
{
    public double Phi(int row, int feature) => Attributions[row * Features + feature];

    public double Value(int row, int feature) => Values is null ? double.NaN : Values[row * Features + feature];

    public IReadOnlyList<string> Notes { get; init; } = [];
}
