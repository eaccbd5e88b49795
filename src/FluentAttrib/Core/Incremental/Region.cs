namespace FluentAttrib.Core.Incremental;

/// <summary>A rectangle [Y0, Y1) × [X0, X1) of a feature map; empty when either side is empty.</summary>
internal readonly record struct Region(long Y0, long Y1, long X0, long X1)
{
    /// <summary>The empty region.</summary>
    public static Region Empty => new(0, 0, 0, 0);

    /// <summary>Whether the region holds no position.</summary>
    public bool IsEmpty => Y1 <= Y0 || X1 <= X0;

    /// <summary>Rows.</summary>
    public long Height => IsEmpty ? 0 : Y1 - Y0;

    /// <summary>Columns.</summary>
    public long Width => IsEmpty ? 0 : X1 - X0;

    /// <summary>Positions.</summary>
    public long Area => Height * Width;

    /// <summary>The smallest region holding both.</summary>
    public Region Union(Region other) =>
        IsEmpty ? other : other.IsEmpty ? this
            : new(Math.Min(Y0, other.Y0), Math.Max(Y1, other.Y1), Math.Min(X0, other.X0), Math.Max(X1, other.X1));

    /// <summary>
    /// The outputs of a window operation (kernel extent <paramref name="span"/>, <paramref name="stride"/>,
    /// <paramref name="padding"/>, output size <paramref name="size"/>) that read any position of this region:
    /// output o reads [o·S − P, o·S − P + span).
    /// </summary>
    public Region Through(long[] span, long[] stride, long[] padding, long[] size)
    {
        if (IsEmpty) return Empty;
        var (y0, y1) = Range(Y0, Y1, span[0], stride[0], padding[0], size[0]);
        var (x0, x1) = Range(X0, X1, span[1], stride[1], padding[1], size[1]);
        return y1 <= y0 || x1 <= x0 ? Empty : new(y0, y1, x0, x1);
    }

    private static (long, long) Range(long a, long b, long span, long stride, long padding, long size)
    {
        long lo = FloorDiv(a + padding - span, stride) + 1;
        long hi = FloorDiv(b - 1 + padding, stride) + 1;
        return (Math.Max(0, lo), Math.Min(size, hi));
    }

    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);
}
