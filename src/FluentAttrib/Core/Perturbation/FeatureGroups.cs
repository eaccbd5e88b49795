using static TorchSharp.torch;

namespace FluentAttrib.Core.Perturbation;

/// <summary>
/// The features of a batch as a feature mask defines them (Captum's <c>feature_mask</c>): every distinct id is one
/// feature, across all inputs (an id used in two inputs is one feature spanning both). Features are numbered
/// 0..<see cref="Count"/>−1 in ascending order of their ids. Without a mask every scalar of an example is its own
/// feature, numbered input after input and shared by the examples of the batch, as Captum does.
/// </summary>
internal sealed class FeatureGroups
{
    private readonly Tensor[] _inputs;

    private FeatureGroups(Tensor[] inputs, Tensor[] positions, int count)
    {
        _inputs = inputs;
        Positions = positions;
        Count = count;
    }

    /// <summary>Number of features.</summary>
    public int Count { get; }

    /// <summary>
    /// Per input: the feature number of each element, an int64 tensor of the input's rank whose dimensions are 1 or
    /// the input's (it broadcasts to the input; its first dimension is 1 when the mask is shared by the batch).
    /// </summary>
    public Tensor[] Positions { get; }

    /// <summary>
    /// The groups of <paramref name="mask"/> (or the default groups when it is null) for <paramref name="inputs"/>.
    /// Call inside a dispose scope: temporaries are left to it.
    /// </summary>
    /// <exception cref="ArgumentException">The masks do not fit the inputs.</exception>
    public static FeatureGroups Of(FeatureMask? mask, Tensor[] inputs, string paramName = "featureMask")
    {
        if (mask is null)
        {
            var positions = new Tensor[inputs.Length];
            long offset = 0;
            for (int i = 0; i < inputs.Length; i++)
            {
                long n = Shapes.Product(inputs[i].shape.AsSpan(1));
                positions[i] = arange(offset, offset + n, dtype: ScalarType.Int64, device: inputs[i].device)
                    .reshape([1, .. inputs[i].shape[1..]]);
                offset += n;
            }
            if (offset > int.MaxValue) throw new ArgumentException($"The inputs have {offset} scalars per example; group them with a feature mask.", paramName);
            return new FeatureGroups(inputs, positions, (int)offset);
        }

        mask.Expand(inputs, paramName); // validates the shapes
        var flat = new Tensor[inputs.Length];
        var shaped = new long[inputs.Length][];
        for (int i = 0; i < inputs.Length; i++)
        {
            var m = mask.Masks[i];
            shaped[i] = [.. Enumerable.Repeat(1L, (int)(inputs[i].dim() - m.dim())), .. m.shape];
            flat[i] = m.to(ScalarType.Int64, inputs[0].device).reshape(-1);
        }
        var (ids, inverse, _) = cat(flat, 0).unique(sorted: true, return_inverse: true);
        int count = (int)ids.shape[0];
        var result = new Tensor[inputs.Length];
        long start = 0;
        for (int i = 0; i < inputs.Length; i++)
        {
            long n = Shapes.Product(shaped[i]);
            result[i] = inverse!.narrow(0, start, n).to(inputs[i].device).reshape(shaped[i]);
            start += n;
        }
        return new FeatureGroups(inputs, result, count);
    }

    /// <summary>
    /// Masks (k, ...) of input <paramref name="input"/>: true where the element belongs to feature
    /// <paramref name="features"/>[j] (an int64 vector of length k; a number outside 0..Count−1 selects nothing).
    /// </summary>
    public Tensor Where(Tensor features, int input)
    {
        var pos = Positions[input];
        long[] shape = [features.shape[0], .. Enumerable.Repeat(1L, (int)pos.dim())];
        return pos.unsqueeze(0) == features.to(pos.device).reshape(shape);
    }

    /// <summary>
    /// Masks (k, ...) of input <paramref name="input"/>: element e of copy j is true when
    /// <paramref name="rows"/>[j, feature of e] is true (<paramref name="rows"/> is a bool (k, Count) tensor).
    /// </summary>
    public Tensor Select(Tensor rows, int input)
    {
        var pos = Positions[input];
        long k = rows.shape[0];
        return rows.to(pos.device).index_select(1, pos.reshape(-1)).reshape([k, .. pos.shape]);
    }

    /// <summary>
    /// Writes one value per feature and example back to the elements: <paramref name="perFeature"/> (Count, B)
    /// gives, for each input, a tensor of the input's shape holding the value of the element's feature.
    /// </summary>
    public Tensor[] Scatter(Tensor perFeature)
    {
        var byExample = perFeature.t();
        var result = new Tensor[_inputs.Length];
        for (int i = 0; i < _inputs.Length; i++)
        {
            var x = _inputs[i];
            long batch = x.shape[0];
            var index = Positions[i].expand(x.shape).reshape(batch, -1).to(perFeature.device);
            result[i] = byExample.gather(1, index).reshape(x.shape).to(x.device);
        }
        return result;
    }
}
