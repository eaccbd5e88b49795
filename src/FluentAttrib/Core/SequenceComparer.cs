using System.Collections.Immutable;

namespace FluentAttrib.Core;

/// <summary>
/// Element-wise equality for <see cref="ImmutableArray{T}"/> members of the setting records: a record's synthesized
/// equality compares an <see cref="ImmutableArray{T}"/> by its underlying array reference, so two identically built
/// settings would differ. Default arrays equal only default arrays.
/// </summary>
internal sealed class SequenceComparer<T>(IEqualityComparer<T> element) : IEqualityComparer<ImmutableArray<T>>
{
    public static SequenceComparer<T> Default { get; } = new(EqualityComparer<T>.Default);

    public bool Equals(ImmutableArray<T> x, ImmutableArray<T> y)
    {
        if (x.IsDefault || y.IsDefault) return x.IsDefault == y.IsDefault;
        if (x.Length != y.Length) return false;
        for (int i = 0; i < x.Length; i++)
            if (!element.Equals(x[i], y[i])) return false;
        return true;
    }

    public int GetHashCode(ImmutableArray<T> array)
    {
        if (array.IsDefault) return 0;
        var hash = new HashCode();
        hash.Add(array.Length);
        foreach (var item in array) hash.Add(item, element);
        return hash.ToHashCode();
    }
}

/// <summary>The comparison a record's synthesized equality uses for a member, for hand-written record equality.</summary>
internal static class RecordMember
{
    public static bool Same<T>(T x, T y) => EqualityComparer<T>.Default.Equals(x, y);
}
