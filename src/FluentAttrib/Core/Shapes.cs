namespace FluentAttrib;

/// <summary>Shape helpers shared by validation code.</summary>
internal static class Shapes
{
    public static string Format(ReadOnlySpan<long> shape) => "(" + string.Join(", ", shape.ToArray()) + ")";

    public static string Format(long[] shape) => Format(shape.AsSpan());

    /// <summary>NumPy broadcasting of <paramref name="from"/> onto <paramref name="to"/> (one-directional).</summary>
    public static bool Broadcastable(long[] from, long[] to)
    {
        if (from.Length > to.Length) return false;
        for (int i = 1; i <= from.Length; i++)
        {
            long f = from[^i], t = to[^i];
            if (f != t && f != 1) return false;
        }
        return true;
    }

    public static long Product(ReadOnlySpan<long> shape)
    {
        long p = 1;
        foreach (long d in shape) p *= d;
        return p;
    }
}
