using System.Collections.Immutable;
using System.Text;

namespace FluentAttrib;

/// <summary>
/// Which output an attribution explains: one scalar per example is selected from the model output.
/// Build one with <see cref="Index(long)"/>, <see cref="PerExample(long[])"/>, <see cref="Element(long[])"/>,
/// <see cref="PerExampleElements(long[][])"/> or use <see cref="None"/> for models that already return one scalar
/// per example. An <see cref="int"/>, <see cref="long"/> or an array of them converts implicitly.
/// </summary>
public sealed class Target : IEquatable<Target>
{
    private Target(ImmutableArray<long>? shared, ImmutableArray<ImmutableArray<long>>? perExample)
    {
        Shared = shared;
        PerExampleIndices = perExample;
    }

    /// <summary>No target: the model output must hold one scalar per example (shape (B) or (B,1,...,1)).</summary>
    public static Target None { get; } = new(null, null);

    /// <summary>The same output index for every example (a class index for a (B, C) output).</summary>
    public static Target Index(long index) => new(ImmutableArray.Create(index), null);

    /// <summary>The same index tuple for every example, for outputs with more than two dimensions.</summary>
    /// <exception cref="ArgumentException">No index given.</exception>
    public static Target Element(params long[] indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.Length == 0) throw new ArgumentException("A target element needs at least one index.", nameof(indices));
        return new(indices.ToImmutableArray(), null);
    }

    /// <summary>One output index per example (the list's length must equal the batch size).</summary>
    /// <exception cref="ArgumentException">The list is empty.</exception>
    public static Target PerExample(params long[] indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.Length == 0) throw new ArgumentException("A per-example target needs one index per example.", nameof(indices));
        return new(null, indices.Select(i => ImmutableArray.Create(i)).ToImmutableArray());
    }

    /// <summary>One index tuple per example, for outputs with more than two dimensions.</summary>
    /// <exception cref="ArgumentException">The list is empty or the tuples differ in length.</exception>
    public static Target PerExampleElements(params long[][] indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.Length == 0) throw new ArgumentException("A per-example target needs one index tuple per example.", nameof(indices));
        if (indices.Any(i => i is null || i.Length == 0 || i.Length != indices[0].Length))
            throw new ArgumentException("Every example's target tuple must be non-empty and of the same length.", nameof(indices));
        return new(null, indices.Select(i => i.ToImmutableArray()).ToImmutableArray());
    }

    /// <summary>The index tuple shared by all examples, or null.</summary>
    internal ImmutableArray<long>? Shared { get; }

    /// <summary>The per-example index tuples, or null.</summary>
    internal ImmutableArray<ImmutableArray<long>>? PerExampleIndices { get; }

    /// <summary>True for <see cref="None"/>.</summary>
    public bool IsNone => Shared is null && PerExampleIndices is null;

    /// <summary>Number of examples a per-example target is for, or null for a shared one.</summary>
    public int? ExampleCount => PerExampleIndices?.Length;

    /// <summary>Converts a class index.</summary>
    public static implicit operator Target(int index) => Index(index);

    /// <summary>Converts a class index.</summary>
    public static implicit operator Target(long index) => Index(index);

    /// <summary>Converts one class index per example.</summary>
    public static implicit operator Target(int[] perExample) => PerExample(perExample.Select(i => (long)i).ToArray());

    /// <summary>Converts one class index per example.</summary>
    public static implicit operator Target(long[] perExample) => PerExample(perExample);

    /// <summary>
    /// The target for a batch made of <paramref name="times"/> copies of the original batch: per-example targets are
    /// tiled (<paramref name="interleave"/> false: copy after copy, as Captum's path methods do) or each repeated in
    /// place (<paramref name="interleave"/> true: example-major, as NoiseTunnel and GradientShap do).
    /// </summary>
    internal Target Expand(int times, bool interleave)
    {
        if (PerExampleIndices is not { } list || times == 1) return this;
        var builder = ImmutableArray.CreateBuilder<ImmutableArray<long>>(list.Length * times);
        if (interleave)
            foreach (var t in list) for (int k = 0; k < times; k++) builder.Add(t);
        else
            for (int k = 0; k < times; k++) builder.AddRange(list);
        return new(null, builder.MoveToImmutable());
    }

    /// <inheritdoc />
    public override string ToString()
    {
        if (IsNone) return "none";
        static string Tuple(ImmutableArray<long> t) => t.Length == 1 ? t[0].ToString() : "(" + string.Join(", ", t) + ")";
        if (Shared is { } s) return Tuple(s);
        var sb = new StringBuilder("[");
        sb.AppendJoin(", ", PerExampleIndices!.Value.Select(Tuple));
        return sb.Append(']').ToString();
    }

    /// <inheritdoc />
    public bool Equals(Target? other) => other is not null && ToString() == other.ToString();

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Target);

    /// <inheritdoc />
    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);
}
