using System.Collections;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;

namespace FluentAttrib;

/// <summary>
/// An immutable list that compares by its elements, so method settings holding lists (window shapes, standard
/// deviations, baseline distributions) keep the value equality of records. Tensors compare by reference.
/// Converts implicitly from and to <see cref="ImmutableArray{T}"/>.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
[CollectionBuilder(typeof(ValueList), nameof(ValueList.Create))]
internal readonly struct ValueList<T> : IReadOnlyList<T>, IEquatable<ValueList<T>>
{
    private readonly ImmutableArray<T> _items;

    /// <summary>Wraps <paramref name="items"/>.</summary>
    public ValueList(ImmutableArray<T> items) => _items = items.IsDefault ? [] : items;

    /// <summary>Number of elements.</summary>
    public int Length => _items.IsDefault ? 0 : _items.Length;

    /// <inheritdoc />
    public int Count => Length;

    /// <inheritdoc />
    public T this[int index] => _items[index];

    /// <summary>The elements as an immutable array.</summary>
    public ImmutableArray<T> AsImmutableArray() => _items.IsDefault ? [] : _items;

    /// <summary>Wraps an immutable array.</summary>
    public static implicit operator ValueList<T>(ImmutableArray<T> items) => new(items);

    /// <summary>Unwraps to an immutable array.</summary>
    public static implicit operator ImmutableArray<T>(ValueList<T> list) => list.AsImmutableArray();

    /// <inheritdoc />
    public bool Equals(ValueList<T> other)
    {
        if (Length != other.Length) return false;
        var comparer = EqualityComparer<T>.Default;
        for (int i = 0; i < Length; i++)
            if (!comparer.Equals(_items[i], other._items[i])) return false;
        return true;
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ValueList<T> other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Length);
        foreach (var item in AsImmutableArray()) hash.Add(item);
        return hash.ToHashCode();
    }

    /// <summary>Element-wise equality.</summary>
    public static bool operator ==(ValueList<T> left, ValueList<T> right) => left.Equals(right);

    /// <summary>Element-wise inequality.</summary>
    public static bool operator !=(ValueList<T> left, ValueList<T> right) => !left.Equals(right);

    /// <inheritdoc />
    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)AsImmutableArray()).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    public override string ToString() => "[" + string.Join(", ", AsImmutableArray()) + "]";
}

/// <summary>Creates <see cref="ValueList{T}"/> values (also used by collection expressions).</summary>
internal static class ValueList
{
    /// <summary>A list of <paramref name="items"/>.</summary>
    public static ValueList<T> Create<T>(ReadOnlySpan<T> items) => new(ImmutableArray.Create(items));
}
