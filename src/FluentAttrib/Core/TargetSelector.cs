using static TorchSharp.torch;

namespace FluentAttrib.Core;

/// <summary>Selects the scalar per example that a <see cref="Target"/> names from a model output.</summary>
internal static class TargetSelector
{
    /// <summary>
    /// Checks <paramref name="target"/> against an output of shape <paramref name="outputShape"/> (for a batch of
    /// <paramref name="batch"/> examples) and throws an <see cref="ArgumentException"/> naming both when they do not fit.
    /// </summary>
    public static void Validate(Target target, long[] outputShape, long batch)
    {
        if (outputShape.Length == 0)
            throw new ArgumentException($"The model returned a scalar; attribution needs one output row per example (batch {batch}).", "model");
        if (outputShape[0] != batch)
            throw new ArgumentException(
                $"The model output has shape {Shapes.Format(outputShape)} for a batch of {batch}: its first dimension must be the batch.", "model");
        var rest = outputShape.AsSpan(1);
        if (target.Function is { } function)
        {
            function.Validate(batch);
            return;
        }
        if (target.IsNone)
        {
            if (Shapes.Product(rest) != 1)
                throw new ArgumentException(
                    $"No target was given but the model output has shape {Shapes.Format(outputShape)}: call For(...) to pick one output per example.",
                    nameof(target));
            return;
        }
        if (target.PerExampleIndices is { } list && list.Length != batch)
            throw new ArgumentException(
                $"Target has {list.Length} entries but the batch has {batch} examples.", nameof(target));
        IEnumerable<IReadOnlyList<long>> tuples = target.Shared is { } s ? new[] { (IReadOnlyList<long>)s } : target.PerExampleIndices!.Value.Select(t => (IReadOnlyList<long>)t);
        foreach (var tuple in tuples)
        {
            if (tuple.Count != rest.Length)
                throw new ArgumentException(
                    $"Target {target} has {tuple.Count} index(es) but the model output has shape {Shapes.Format(outputShape)}: give {rest.Length} index(es) per example to select one scalar.",
                    nameof(target));
            for (int d = 0; d < tuple.Count; d++)
                if (tuple[d] < -rest[d] || tuple[d] >= rest[d])
                    throw new ArgumentOutOfRangeException(nameof(target),
                        $"Target {target} is out of range for the model output of shape {Shapes.Format(outputShape)}.");
        }
    }

    /// <summary>The selected output, shape (B). Validates first.</summary>
    public static Tensor Select(Tensor output, Target target)
    {
        if (output.dim() == 0)
            throw new ArgumentException(
                "The model returned a scalar; attribution needs one output row per example (does it reduce over the batch, e.g. mean() or sum()?).", "model");
        long batch = output.shape[0];
        Validate(target, output.shape, batch);
        if (target.Function is { } function) return function.Evaluate(output);
        var rest = output.shape.AsSpan(1).ToArray();
        var flat = output.reshape(batch, -1);
        if (target.IsNone) return flat[.., 0];
        if (target.Shared is { } s)
            return flat[.., Flatten(s, rest)];
        var idx = target.PerExampleIndices!.Value.Select(t => Flatten(t, rest)).ToArray();
        using var index = tensor(idx, device: output.device).unsqueeze(1);
        return flat.gather(1, index).squeeze(1);
    }

    private static long Flatten(IReadOnlyList<long> tuple, long[] shape)
    {
        long flat = 0;
        for (int d = 0; d < tuple.Count; d++)
        {
            long i = tuple[d] < 0 ? tuple[d] + shape[d] : tuple[d];
            flat = flat * shape[d] + i;
        }
        return flat;
    }
}
