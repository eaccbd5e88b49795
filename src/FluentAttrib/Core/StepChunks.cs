namespace FluentAttrib.Core;

/// <summary>Splits <c>n</c> path steps into chunks of whole steps that fit an internal batch.</summary>
internal static class StepChunks
{
    /// <summary>
    /// Ranges [start, end) of steps; each chunk has max(1, <paramref name="internalBatchSize"/> / batch) steps,
    /// as Captum's internal batching does.
    /// </summary>
    public static IEnumerable<(int Start, int End)> Split(int steps, long batch, int internalBatchSize)
    {
        int perChunk = (int)Math.Max(1, internalBatchSize / Math.Max(1, batch));
        for (int start = 0; start < steps; start += perChunk)
            yield return (start, Math.Min(steps, start + perChunk));
    }
}
