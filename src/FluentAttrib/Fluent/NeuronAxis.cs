using System.Globalization;

namespace FluentAttrib;

/// <summary>
/// One index of a neuron in a layer's output (without the batch dimension): a single position, or a slice whose
/// neurons are summed (like Captum's slice selectors). An <see cref="int"/>, a <see cref="long"/> or a
/// <see cref="System.Index"/> (<c>^1</c>) or a <see cref="System.Range"/> (<c>0..2</c>, <c>^2..</c>) converts implicitly; <see cref="Slice"/> also takes a step.
/// Negative positions count from the end, as in Python.
/// </summary>
public readonly struct NeuronAxis : IEquatable<NeuronAxis>
{
    private NeuronAxis(long index, long? start, long? stop, long step, bool isSlice)
    {
        Index = index;
        Start = start;
        Stop = stop;
        Step = step;
        IsSlice = isSlice;
    }

    /// <summary>True for a slice (summed), false for a single position.</summary>
    public bool IsSlice { get; }

    /// <summary>The position, when not a slice (negative counts from the end).</summary>
    public long Index { get; }

    /// <summary>Slice start (null: from the beginning; negative counts from the end).</summary>
    public long? Start { get; }

    /// <summary>Slice stop, exclusive (null: to the end; negative counts from the end).</summary>
    public long? Stop { get; }

    /// <summary>Slice step (at least 1).</summary>
    public long Step { get; }

    /// <summary>A single position.</summary>
    public static NeuronAxis At(long index) => new(index, null, null, 1, false);

    /// <summary>A slice <c>start:stop:step</c> with Python's semantics; its neurons are summed.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is less than 1.</exception>
    public static NeuronAxis Slice(long? start, long? stop, long step = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        return new(0, start, stop, step, true);
    }

    /// <summary>Converts a position.</summary>
    public static implicit operator NeuronAxis(long index) => At(index);

    /// <summary>Converts a position.</summary>
    public static implicit operator NeuronAxis(int index) => At(index);

    /// <summary>Converts an index (<c>^1</c> is the last position).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><c>^0</c>, which is past the end.</exception>
    public static implicit operator NeuronAxis(Index index)
    {
        if (index.IsFromEnd && index.Value == 0) throw new ArgumentOutOfRangeException(nameof(index), "^0 is past the end of a dimension.");
        return At(index.IsFromEnd ? -(long)index.Value : index.Value);
    }

    /// <summary>Creates the position from an <see cref="System.Index"/>.</summary>
    public static NeuronAxis FromIndex(Index index) => index;

    /// <summary>Converts a range (<c>a..b</c>, <c>^k</c> counts from the end) to a slice.</summary>
    public static implicit operator NeuronAxis(Range range)
    {
        // C#'s ^0 is the end; Python has no "-0", so a start of ^0 becomes "past the end" (an empty slice).
        long start = range.Start.IsFromEnd ? (range.Start.Value == 0 ? long.MaxValue : -(long)range.Start.Value) : range.Start.Value;
        long? stop = range.End.IsFromEnd ? (range.End.Value == 0 ? null : -(long)range.End.Value) : range.End.Value;
        return Slice(start, stop);
    }

    /// <summary>Creates the slice from a <see cref="Range"/>.</summary>
    public static NeuronAxis FromRange(Range range) => range;

    /// <summary>Creates the position from a <see cref="long"/>.</summary>
    public static NeuronAxis FromInt64(long index) => index;

    /// <summary>Resolves a slice against a dimension of size <paramref name="size"/> (Python's rules).</summary>
    internal (long Start, long Stop, long Step, long Count) Resolve(long size)
    {
        static long Clamp(long? v, long size, long fallback)
        {
            if (v is null) return fallback;
            long x = v.Value < 0 ? v.Value + size : v.Value;
            return Math.Clamp(x, 0, size);
        }
        long s = Clamp(Start, size, 0), e = Clamp(Stop, size, size);
        long count = e <= s ? 0 : (e - s + Step - 1) / Step;
        return (s, e, Step, count);
    }

    /// <inheritdoc />
    public bool Equals(NeuronAxis other) =>
        IsSlice == other.IsSlice && Index == other.Index && Start == other.Start && Stop == other.Stop && Step == other.Step;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is NeuronAxis other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(IsSlice, Index, Start, Stop, Step);

    /// <summary>Equality.</summary>
    public static bool operator ==(NeuronAxis left, NeuronAxis right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(NeuronAxis left, NeuronAxis right) => !left.Equals(right);

    /// <inheritdoc />
    public override string ToString()
    {
        if (!IsSlice) return Index.ToString(CultureInfo.InvariantCulture);
        string s = Start?.ToString(CultureInfo.InvariantCulture) ?? "", e = Stop?.ToString(CultureInfo.InvariantCulture) ?? "";
        return Step == 1 ? $"{s}:{e}" : $"{s}:{e}:{Step}";
    }
}
