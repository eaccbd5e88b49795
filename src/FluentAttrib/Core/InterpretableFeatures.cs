using static TorchSharp.torch;

namespace FluentAttrib.Core;

/// <summary>
/// The interpretable (binary) features of surrogate methods such as Lime and KernelShap: which feature id every input
/// element belongs to. As in Captum's <c>construct_feature_mask</c>: without a mask every scalar of every input is its
/// own feature, numbered consecutively input after input; a given mask is shifted so its smallest id is 0 and the
/// number of features is the largest id + 1 (ids are shared across inputs, so an id used twice is one feature).
/// </summary>
internal sealed class InterpretableFeatures : IDisposable
{
    private readonly Tensor[] _masks; // per input, (B, ...) int64 ids in [0, Count)

    private InterpretableFeatures(Tensor[] masks, long count)
    {
        _masks = masks;
        Count = count;
    }

    /// <summary>Number of interpretable features.</summary>
    public long Count { get; }

    public static InterpretableFeatures Build(IReadOnlyList<Tensor> inputs, FeatureMask? mask)
    {
        using var scope = NewDisposeScope();
        var masks = new Tensor[inputs.Count];
        long count;
        if (mask is null)
        {
            long offset = 0;
            for (int i = 0; i < inputs.Count; i++)
            {
                var x = inputs[i];
                long perExample = Shapes.Product(x.shape.AsSpan(1));
                var ids = arange(offset, offset + perExample, dtype: ScalarType.Int64, device: x.device)
                    .reshape([1, .. x.shape.AsSpan(1).ToArray()]);
                masks[i] = ids.expand(x.shape);
                offset += perExample;
            }
            count = offset;
        }
        else
        {
            var expanded = mask.Expand(inputs);
            var nonEmpty = expanded.Where(m => m.numel() > 0).ToArray();
            if (nonEmpty.Length == 0)
                throw new ArgumentException("The feature mask selects no input element.", "featureMask");
            // One host read of two scalars per call (not in a loop).
            long min = stack(nonEmpty.Select(m => m.min()).ToArray()).min().item<long>();
            long max = stack(nonEmpty.Select(m => m.max()).ToArray()).max().item<long>();
            masks = expanded.Select(m => min == 0 ? m : m - min).ToArray();
            count = max - min + 1;
        }
        foreach (var m in masks) m.MoveToOuterDisposeScope();
        return new InterpretableFeatures(masks, count);
    }

    /// <summary>The feature id of every element of example <paramref name="example"/>, one flat (numel) tensor per input.</summary>
    public Tensor[] IdsOf(int example) => _masks.Select(m => m[example].reshape(-1)).ToArray();

    /// <summary>
    /// Inputs for <c>k</c> binary samples (k, Count) of example (1, ...) <paramref name="inputs"/>: where a sample
    /// has its feature's bit set the element keeps the input's value, elsewhere it takes the baseline's.
    /// </summary>
    public static Tensor[] Perturb(Tensor samples, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> baselines, IReadOnlyList<Tensor> ids)
    {
        long k = samples.shape[0];
        var result = new Tensor[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            var keep = samples.index_select(1, ids[i]).reshape([k, .. inputs[i].shape.AsSpan(1).ToArray()]);
            result[i] = where(keep, inputs[i], baselines[i]);
        }
        return result;
    }

    /// <summary>Coefficients (Count) spread over example-shaped tensors (1, ...) of each input, in <paramref name="dtypes"/>.</summary>
    public static Tensor[] Spread(Tensor coefficients, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> ids, IReadOnlyList<ScalarType> dtypes)
    {
        var result = new Tensor[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
            result[i] = coefficients.index_select(0, ids[i]).reshape([1, .. inputs[i].shape.AsSpan(1).ToArray()]).to(dtypes[i]);
        return result;
    }

    public void Dispose()
    {
        foreach (var m in _masks) m.Dispose();
    }
}
