namespace FluentAttrib.MLNet.Internal;

/// <summary>The class (or class per row) explained, or none for a scalar output.</summary>
internal sealed record ClassTarget(int? SharedIndex, int[]? PerRowIndices)
{
    public static ClassTarget None { get; } = new(null, null);

    public static ClassTarget Shared(int index) => new(index, null);

    public static ClassTarget PerRow(int[] indices) => new(null, (int[])indices.Clone());

    public Target ToTarget() => SharedIndex is { } i ? Target.Index(i)
        : PerRowIndices is { } list ? Target.PerExample(list.Select(x => (long)x).ToArray())
        : Target.None;

    /// <summary>The explained score of row <paramref name="row"/> from <paramref name="width"/> scores per row.</summary>
    public double Select(double[] scores, int row, int width) =>
        scores[row * width + (SharedIndex ?? (PerRowIndices is { } list ? list[row] : 0))];

    public override string ToString() => ToTarget().ToString();
}
