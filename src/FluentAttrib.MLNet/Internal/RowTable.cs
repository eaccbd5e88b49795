using Microsoft.ML;

namespace FluentAttrib.MLNet.Internal;

/// <summary>
/// Rows of a data view copied into memory, column by column (the visible columns of <see cref="Schema"/>). Rows of
/// several views with the same columns can be appended to one table.
/// </summary>
internal sealed class RowTable
{
    private RowTable(DataViewSchema schema, ColumnBuffer[] columns)
    {
        Schema = schema;
        Columns = columns;
    }

    /// <summary>The visible columns, in order, with their types and annotations.</summary>
    public DataViewSchema Schema { get; }

    /// <summary>One buffer per column of <see cref="Schema"/>.</summary>
    public ColumnBuffer[] Columns { get; }

    public int Count => Columns.Length == 0 ? 0 : Columns[0].Count;

    /// <summary>An empty table with the visible columns of <paramref name="source"/> (types and annotations copied).</summary>
    public static RowTable Empty(DataViewSchema source)
    {
        var builder = new DataViewSchema.Builder();
        foreach (var column in source)
            if (!column.IsHidden && source.GetColumnOrNull(column.Name)?.Index == column.Index)
                builder.AddColumn(column.Name, column.Type, column.Annotations);
        var schema = builder.ToSchema();
        return new RowTable(schema, schema.Select(c => ColumnBuffer.For(c.Type)).ToArray());
    }

    /// <summary>
    /// Appends every row of <paramref name="view"/>, which must have each column of this table with the same type.
    /// </summary>
    /// <exception cref="ArgumentException">A column is missing or has another type (named <paramref name="parameter"/>).</exception>
    public void Append(IDataView view, string parameter, CancellationToken cancellation = default)
    {
        var bound = new DataViewSchema.Column[Schema.Count];
        for (int i = 0; i < Schema.Count; i++)
        {
            var want = Schema[i];
            var have = view.Schema.GetColumnOrNull(want.Name)
                ?? throw new ArgumentException($"The rows have no column '{want.Name}' (of type {want.Type}), which the background has.", parameter);
            if (!have.Type.Equals(want.Type))
                throw new ArgumentException(
                    $"Column '{want.Name}' is {have.Type} in these rows but {want.Type} in the background; give rows with the model's input schema.", parameter);
            bound[i] = have;
        }
        using var cursor = view.GetRowCursor(bound);
        for (int i = 0; i < bound.Length; i++) Columns[i].Bind(cursor, bound[i]);
        while (cursor.MoveNext())
        {
            if ((cursor.Position & 1023) == 0) cancellation.ThrowIfCancellationRequested();
            foreach (var c in Columns) c.ReadRow();
        }
    }
}
