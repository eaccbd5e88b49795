using Microsoft.ML;
using Microsoft.ML.Data;

namespace FluentAttrib.MLNet.Internal;

/// <summary>Scores rows with the transformer and reads one output column (a float or double scalar or vector).</summary>
internal sealed class ModelScorer
{
    private ModelScorer(ITransformer model, string column, int width, bool isDouble)
    {
        Model = model;
        Column = column;
        Width = width;
        _double = isDouble;
    }

    private readonly bool _double;

    public ITransformer Model { get; }

    public string Column { get; }

    /// <summary>Values per row: 1 for a scalar output, the vector's size otherwise.</summary>
    public int Width { get; }

    /// <summary>Whether the output is a vector (one score per class).</summary>
    public bool IsVector { get; private init; }

    /// <summary>Checks that <paramref name="model"/> turns <paramref name="sample"/> into a usable column <paramref name="column"/>.</summary>
    /// <exception cref="ArgumentException">The model cannot score the data, or the column is missing or not numeric.</exception>
    public static ModelScorer Create(ITransformer model, IDataView sample, string column)
    {
        DataViewSchema output;
        try
        {
            output = model.GetOutputSchema(sample.Schema);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
        {
            throw new ArgumentException($"The model cannot score rows with the background's columns: {e.Message}", "background", e);
        }
        var c = output.GetColumnOrNull(column)
            ?? throw new ArgumentException(
                $"The model's output has no column '{column}'; it has {string.Join(", ", output.Where(x => !x.IsHidden).Select(x => "'" + x.Name + "'"))}.", nameof(column));
        static bool Numeric(DataViewType t) => t == NumberDataViewType.Single || t == NumberDataViewType.Double;
        if (Numeric(c.Type)) return new ModelScorer(model, column, 1, c.Type == NumberDataViewType.Double);
        if (c.Type is VectorDataViewType { Size: > 0 } v && Numeric(v.ItemType))
            return new ModelScorer(model, column, v.Size, v.ItemType == NumberDataViewType.Double) { IsVector = true };
        throw new ArgumentException(
            $"Output column '{column}' is {c.Type}; explainable outputs are float or double scalars (regression, binary) or vectors of known size (multiclass).",
            nameof(column));
    }

    /// <summary>Scores every row of <paramref name="view"/> in one pass: Count × <see cref="Width"/> values, row-major.</summary>
    public double[] Score(IDataView view, long rows, CancellationToken cancellation)
    {
        var scored = Model.Transform(view);
        var column = scored.Schema[Column];
        var result = new double[checked(rows * Width)];
        using var cursor = scored.GetRowCursor([column]);
        int r = 0;
        if (!IsVector)
        {
            if (_double) Read<double>(cursor, column, result, ref r, cancellation);
            else Read<float>(cursor, column, result, ref r, cancellation);
        }
        else if (_double) ReadVector<double>(cursor, column, result, ref r, cancellation);
        else ReadVector<float>(cursor, column, result, ref r, cancellation);
        if (r != rows) throw new InvalidOperationException($"The model returned {r} scored rows for {rows} rows.");
        return result;
    }

    private static void Read<T>(DataViewRowCursor cursor, DataViewSchema.Column column, double[] into, ref int r, CancellationToken cancellation)
    {
        var getter = cursor.GetGetter<T>(column);
        T value = default!;
        while (cursor.MoveNext())
        {
            if ((r & 4095) == 0) cancellation.ThrowIfCancellationRequested();
            getter(ref value);
            into[r++] = Number(value);
        }
    }

    private void ReadVector<T>(DataViewRowCursor cursor, DataViewSchema.Column column, double[] into, ref int r, CancellationToken cancellation)
    {
        var getter = cursor.GetGetter<VBuffer<T>>(column);
        VBuffer<T> value = default;
        while (cursor.MoveNext())
        {
            if ((r & 4095) == 0) cancellation.ThrowIfCancellationRequested();
            getter(ref value);
            int at = r * Width, s = 0;
            foreach (var item in value.DenseValues()) into[at + s++] = Number(item);
            r++;
        }
    }

    /// <summary>A float or double score as a double, without boxing.</summary>
    private static double Number<T>(T value) =>
        typeof(T) == typeof(float) ? System.Runtime.CompilerServices.Unsafe.As<T, float>(ref value)
        : System.Runtime.CompilerServices.Unsafe.As<T, double>(ref value);
}
