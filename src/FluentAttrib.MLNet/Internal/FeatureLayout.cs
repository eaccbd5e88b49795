using Microsoft.ML;
using Microsoft.ML.Data;

namespace FluentAttrib.MLNet.Internal;

/// <summary>One feature: a whole input column, or one slot of a vector column.</summary>
internal sealed record TabularFeature(string Name, int Column, int Slot);

/// <summary>Which column (or which slot of which column) each feature is.</summary>
internal sealed class FeatureLayout
{
    private readonly ColumnPlanEntry?[] _plans;

    private FeatureLayout(IReadOnlyList<TabularFeature> features, ColumnPlanEntry?[] plans)
    {
        Features = features;
        _plans = plans;
    }

    public IReadOnlyList<TabularFeature> Features { get; }

    public int Count => Features.Count;

    /// <summary>How column <paramref name="column"/> is assembled, or null when it is no feature.</summary>
    public ColumnPlanEntry? ColumnPlan(int column) => _plans[column];

    /// <summary>
    /// The features of <paramref name="schema"/>: each of <paramref name="columns"/> (by default every column but
    /// <c>Label</c>) is one feature, except the vector columns in <paramref name="split"/>, whose slots are one
    /// feature each (named by the column's slot names where it has them).
    /// </summary>
    public static FeatureLayout Build(DataViewSchema schema, IReadOnlyList<string>? columns, IReadOnlyCollection<string> split)
    {
        var names = columns ?? schema.Select(c => c.Name).Where(n => n != "Label").ToArray();
        if (names.Count == 0)
            throw new ArgumentException("There are no feature columns: the data has no column but 'Label'. Name the feature columns with Features(...).", nameof(columns));
        var features = new List<TabularFeature>();
        var plans = new ColumnPlanEntry?[schema.Count];
        foreach (var name in names)
        {
            var column = schema.GetColumnOrNull(name)
                ?? throw new ArgumentException($"There is no column '{name}' in the data; its columns are {string.Join(", ", schema.Select(c => "'" + c.Name + "'"))}.", nameof(columns));
            if (plans[column.Index] is not null)
                throw new ArgumentException($"Column '{name}' is named twice.", nameof(columns));
            if (!split.Contains(name))
            {
                plans[column.Index] = new ColumnPlanEntry(features.Count, null);
                features.Add(new TabularFeature(name, column.Index, -1));
                continue;
            }
            if (column.Type is not VectorDataViewType { Size: > 0 } vector)
                throw new ArgumentException($"Column '{name}' is {column.Type}, not a vector of known size, so its slots cannot be split into features.", nameof(split));
            var slotNames = SlotNames(column, vector.Size);
            var slots = new int[vector.Size];
            for (int s = 0; s < vector.Size; s++)
            {
                slots[s] = features.Count;
                features.Add(new TabularFeature(slotNames[s], column.Index, s));
            }
            plans[column.Index] = new ColumnPlanEntry(null, slots);
        }
        foreach (var s in split)
            if (!names.Contains(s))
                throw new ArgumentException($"Column '{s}' is to be split into slots but is not a feature column.", nameof(split));
        return new FeatureLayout(features, plans);
    }

    private const string SlotNamesKind = "SlotNames";

    private static string[] SlotNames(DataViewSchema.Column column, int size)
    {
        var names = Enumerable.Range(0, size).Select(s => $"{column.Name}[{s}]").ToArray();
        if (column.Annotations.Schema.GetColumnOrNull(SlotNamesKind) is { Type: VectorDataViewType { Size: var n } } && n == size)
        {
            VBuffer<ReadOnlyMemory<char>> given = default;
            column.Annotations.GetValue(SlotNamesKind, ref given);
            int s = 0;
            foreach (var text in given.DenseValues())
            {
                if (!text.IsEmpty) names[s] = text.ToString();
                s++;
            }
        }
        return names;
    }
}

/// <summary>A column is one feature (<see cref="Whole"/>) or one feature per slot (<see cref="Slots"/>).</summary>
internal sealed record ColumnPlanEntry(int? Whole, int[]? Slots);
