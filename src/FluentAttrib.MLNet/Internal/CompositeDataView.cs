using Microsoft.ML;
using Microsoft.ML.Data;

namespace FluentAttrib.MLNet.Internal;

/// <summary>
/// An in-memory data view whose rows are stitched together from the rows of a <see cref="RowTable"/>: row r takes
/// feature f from table row <c>sources[r * F + f]</c>; a column that is no feature takes row <see cref="FixedRow"/>.
/// One view holds every composite row of a pass, so the model scores them in one <c>Transform</c>.
/// </summary>
internal sealed class CompositeDataView : IDataView
{
    private readonly RowTable _table;
    private readonly FeatureLayout _layout;
    private readonly int[] _sources;
    private readonly int _rows;

    public CompositeDataView(RowTable table, FeatureLayout layout, int[] sources, int fixedRow)
    {
        _table = table;
        _layout = layout;
        _sources = sources;
        _rows = sources.Length / Math.Max(1, layout.Count);
        FixedRow = fixedRow;
    }

    /// <summary>The table row every column that is no feature is read from.</summary>
    public int FixedRow { get; }

    public bool CanShuffle => false;

    public DataViewSchema Schema => _table.Schema;

    public long? GetRowCount() => _rows;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(this, columnsNeeded);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly CompositeDataView _view;
        private readonly bool[] _active;
        private readonly Delegate?[] _getters;
        private long _position = -1;

        public Cursor(CompositeDataView view, IEnumerable<DataViewSchema.Column> columnsNeeded)
        {
            _view = view;
            var schema = view.Schema;
            _active = new bool[schema.Count];
            foreach (var c in columnsNeeded ?? []) _active[c.Index] = true;
            _getters = new Delegate?[schema.Count];
            int features = view._layout.Count;
            for (int c = 0; c < schema.Count; c++)
            {
                if (!_active[c]) continue;
                var buffer = view._table.Columns[c];
                var plan = view._layout.ColumnPlan(c);
                if (plan is null) _getters[c] = buffer.WholeGetter(() => view.FixedRow);
                else if (plan.Whole is { } f) _getters[c] = buffer.WholeGetter(() => view._sources[_position * features + f]);
                else
                {
                    var slots = plan.Slots!;
                    _getters[c] = buffer.SlotGetter(s => view._sources[_position * features + slots[s]], slots.Length);
                }
            }
        }

        public override long Position => _position;

        public override long Batch => 0;

        public override DataViewSchema Schema => _view.Schema;

        public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

        public override bool MoveNext()
        {
            if (_position + 1 >= _view._rows)
            {
                _position = _view._rows;
                return false;
            }
            _position++;
            return true;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index < 0 || column.Index >= _getters.Length || !_active[column.Index])
                throw new InvalidOperationException($"Column '{column.Name}' was not requested from this cursor.");
            return _getters[column.Index] as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Column '{column.Name}' holds {column.Type.RawType.Name}, not {typeof(TValue).Name}.");
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() =>
            (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);
    }
}
