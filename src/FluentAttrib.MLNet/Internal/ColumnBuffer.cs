using Microsoft.ML;
using Microsoft.ML.Data;

namespace FluentAttrib.MLNet.Internal;

/// <summary>
/// One input column's values for a set of rows, copied out of an <see cref="IDataView"/> (ML.NET getters reuse their
/// buffers, so vectors and text are copied). Rows are addressed by their index in the table.
/// </summary>
internal abstract class ColumnBuffer
{
    public abstract int Count { get; }

    /// <summary>Binds to <paramref name="column"/> of <paramref name="cursor"/>; <see cref="ReadRow"/> then appends the current row.</summary>
    public abstract void Bind(DataViewRowCursor cursor, DataViewSchema.Column column);

    public abstract void ReadRow();

    /// <summary>The row's value as a number, or NaN when it is not one (text, a whole vector, a date).</summary>
    public abstract double Number(int row, int slot);

    /// <summary>A getter for a composite row whose value comes whole from row <c>sourceOf(position)</c>.</summary>
    public abstract Delegate WholeGetter(Func<int> sourceRow);

    /// <summary>A getter for a vector whose slot s comes from row <c>sourceOf(position, s)</c>.</summary>
    public abstract Delegate SlotGetter(Func<int, int> sourceRowOfSlot, int length);

    /// <summary>An empty buffer for values of <paramref name="type"/>.</summary>
    public static ColumnBuffer For(DataViewType type)
    {
        var raw = type.RawType;
        if (raw.IsGenericType && raw.GetGenericTypeDefinition() == typeof(VBuffer<>))
            return (ColumnBuffer)Activator.CreateInstance(typeof(VectorBuffer<>).MakeGenericType(raw.GetGenericArguments()[0]))!;
        if (raw == typeof(ReadOnlyMemory<char>)) return new TextBuffer();
        return (ColumnBuffer)Activator.CreateInstance(typeof(ScalarBuffer<>).MakeGenericType(raw))!;
    }

    internal static double ToNumber<T>(T value) => value switch
    {
        float f => f,
        double d => d,
        bool b => b ? 1 : 0,
        sbyte v => v,
        byte v => v,
        short v => v,
        ushort v => v,
        int v => v,
        uint v => v,
        long v => v,
        ulong v => v,
        _ => double.NaN,
    };
}

internal sealed class ScalarBuffer<T> : ColumnBuffer
{
    private readonly List<T> _values = [];
    private ValueGetter<T>? _getter;

    public override int Count => _values.Count;

    public override void Bind(DataViewRowCursor cursor, DataViewSchema.Column column) => _getter = cursor.GetGetter<T>(column);

    public override void ReadRow()
    {
        T value = default!;
        _getter!(ref value);
        _values.Add(value);
    }

    public override double Number(int row, int slot) => ToNumber(_values[row]);

    public override Delegate WholeGetter(Func<int> sourceRow) => new ValueGetter<T>((ref T dst) => dst = _values[sourceRow()]);

    public override Delegate SlotGetter(Func<int, int> sourceRowOfSlot, int length) =>
        throw new InvalidOperationException("A scalar column has no slots.");
}

internal sealed class TextBuffer : ColumnBuffer
{
    private readonly List<string> _values = [];
    private ValueGetter<ReadOnlyMemory<char>>? _getter;

    public override int Count => _values.Count;

    public override void Bind(DataViewRowCursor cursor, DataViewSchema.Column column) => _getter = cursor.GetGetter<ReadOnlyMemory<char>>(column);

    public override void ReadRow()
    {
        ReadOnlyMemory<char> value = default;
        _getter!(ref value);
        _values.Add(value.ToString());
    }

    public string Text(int row) => _values[row];

    public override double Number(int row, int slot) => double.NaN;

    public override Delegate WholeGetter(Func<int> sourceRow) =>
        new ValueGetter<ReadOnlyMemory<char>>((ref ReadOnlyMemory<char> dst) => dst = _values[sourceRow()].AsMemory());

    public override Delegate SlotGetter(Func<int, int> sourceRowOfSlot, int length) =>
        throw new InvalidOperationException("A text column has no slots.");
}

internal sealed class VectorBuffer<T> : ColumnBuffer
{
    private readonly List<VBuffer<T>> _values = [];
    private ValueGetter<VBuffer<T>>? _getter;

    public override int Count => _values.Count;

    public override void Bind(DataViewRowCursor cursor, DataViewSchema.Column column) => _getter = cursor.GetGetter<VBuffer<T>>(column);

    public override void ReadRow()
    {
        VBuffer<T> value = default;
        _getter!(ref value);
        VBuffer<T> copy = default;
        value.CopyTo(ref copy);
        _values.Add(copy);
    }

    public override double Number(int row, int slot) => slot < 0 ? double.NaN : ToNumber(_values[row].GetItemOrDefault(slot));

    public override Delegate WholeGetter(Func<int> sourceRow) =>
        new ValueGetter<VBuffer<T>>((ref VBuffer<T> dst) => _values[sourceRow()].CopyTo(ref dst));

    public override Delegate SlotGetter(Func<int, int> sourceRowOfSlot, int length) =>
        new ValueGetter<VBuffer<T>>((ref VBuffer<T> dst) =>
        {
            var editor = VBufferEditor.Create(ref dst, length);
            for (int s = 0; s < length; s++) editor.Values[s] = _values[sourceRowOfSlot(s)].GetItemOrDefault(s);
            dst = editor.Commit();
        });
}
