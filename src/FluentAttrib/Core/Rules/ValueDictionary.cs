using System.Collections;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;

namespace FluentAttrib;

/// <summary>
/// An immutable dictionary that compares by its entries (same keys, equal values; order does not matter), so method
/// settings holding maps (LRP's rules per layer and per module type) keep the value equality of records.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
internal sealed class ValueDictionary<TKey, TValue> : IReadOnlyDictionary<TKey, TValue>, IEquatable<ValueDictionary<TKey, TValue>>
    where TKey : notnull
{
    public ValueDictionary(ImmutableDictionary<TKey, TValue> items) => Items = items;

    /// <summary>The entries.</summary>
    public ImmutableDictionary<TKey, TValue> Items { get; }

    /// <summary>Whether there is no entry.</summary>
    public bool IsEmpty => Items.IsEmpty;

    /// <summary>A copy with <paramref name="key"/> mapped to <paramref name="value"/> (replacing an existing entry).</summary>
    public ValueDictionary<TKey, TValue> SetItem(TKey key, TValue value) => new(Items.SetItem(key, value));

    public TValue this[TKey key] => Items[key];

    public IEnumerable<TKey> Keys => Items.Keys;

    public IEnumerable<TValue> Values => Items.Values;

    public int Count => Items.Count;

    public bool ContainsKey(TKey key) => Items.ContainsKey(key);

    public bool TryGetValue(TKey key, [MaybeNullWhen(false)] out TValue value) => Items.TryGetValue(key, out value);

    public IEnumerator<KeyValuePair<TKey, TValue>> GetEnumerator() => Items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public bool Equals(ValueDictionary<TKey, TValue>? other)
    {
        if (other is null) return false;
        if (ReferenceEquals(this, other)) return true;
        if (Items.Count != other.Items.Count) return false;
        var comparer = EqualityComparer<TValue>.Default;
        foreach (var (key, value) in Items)
            if (!other.Items.TryGetValue(key, out var theirs) || !comparer.Equals(value, theirs)) return false;
        return true;
    }

    public override bool Equals(object? obj) => Equals(obj as ValueDictionary<TKey, TValue>);

    public override int GetHashCode()
    {
        // Order-independent: the sum of the entries' hashes.
        int hash = Items.Count;
        foreach (var (key, value) in Items)
            hash = unchecked(hash + HashCode.Combine(Items.KeyComparer.GetHashCode(key), value));
        return hash;
    }

    public override string ToString() => "{" + string.Join(", ", Items.Select(p => $"{p.Key}: {p.Value}")) + "}";
}
