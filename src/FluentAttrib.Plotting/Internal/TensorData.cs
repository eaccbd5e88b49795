using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Plotting;

/// <summary>A tensor's values copied to a flat float64 array, with its shape.</summary>
internal sealed record TensorData(double[] Values, long[] Shape, ScalarType DType)
{
    public int Rank => Shape.Length;

    public string ShapeText => Format(Shape);

    public static string Format(IEnumerable<long> shape) => "[" + string.Join(", ", shape) + "]";

    /// <summary>Copies <paramref name="tensor"/>; rejects a disposed, empty or non-finite tensor with a message about <paramref name="what"/>.</summary>
    /// <param name="tensor">The tensor.</param>
    /// <param name="what">What it is, for messages.</param>
    /// <param name="allowNaN">Let NaN through (e.g. feature values that are not numbers); infinities are still rejected.</param>
    public static TensorData Read(Tensor tensor, string what, bool allowNaN = false)
    {
        ArgumentNullException.ThrowIfNull(tensor, what);
        if (tensor.IsInvalid) throw new ObjectDisposedException(what, $"{Capital(what)} tensor has been disposed.");
        long[] shape = tensor.shape;
        if (tensor.numel() == 0)
            throw new AttributionShapeException($"{Capital(what)} is empty (shape {Format(shape)}): there is nothing to draw.");
        if (tensor.is_complex())
            throw new ArgumentException($"{Capital(what)} is complex ({tensor.dtype}); give real values.", what);
        using var scope = NewDisposeScope();
        var copy = tensor.detach().cpu().to_type(ScalarType.Float64).contiguous();
        var values = copy.data<double>().ToArray();
        var data = new TensorData(values, shape, tensor.dtype);
        if (!allowNaN) data.CheckFinite(what);
        else if (Array.FindIndex(values, double.IsInfinity) is var inf and >= 0)
            throw new NonFiniteValuesException(
                $"{Capital(what)} has an infinite value (first at index {Format(data.Unravel(inf))} of shape {data.ShapeText}); only finite values and NaN (not a number) can be drawn.");
        return data;
    }

    public void CheckFinite(string what)
    {
        int nan = 0, inf = 0, first = -1;
        for (int i = 0; i < Values.Length; i++)
        {
            double v = Values[i];
            if (double.IsNaN(v)) nan++;
            else if (double.IsInfinity(v)) inf++;
            else continue;
            if (first < 0) first = i;
        }
        if (first < 0) return;
        var parts = new List<string>();
        if (nan > 0) parts.Add($"{nan} NaN");
        if (inf > 0) parts.Add($"{inf} infinite");
        throw new NonFiniteValuesException(
            $"{Capital(what)} has {string.Join(" and ", parts)} value(s) (first at index {Format(Unravel(first))} of shape {ShapeText}); " +
            "only finite values can be drawn.");
    }

    /// <summary>The multi-index of a flat index.</summary>
    public long[] Unravel(long flat)
    {
        var index = new long[Shape.Length];
        for (int d = Shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % Shape[d];
            flat /= Shape[d];
        }
        return index;
    }

    /// <summary>
    /// Drops a leading batch dimension: of size one, or by choosing <paramref name="example"/>. A tensor without a
    /// batch dimension is used as it is; when <paramref name="strict"/>, choosing an example other than 0 of it fails.
    /// </summary>
    public TensorData SelectExample(int? example, int batchRank, string what, bool strict = true)
    {
        if (Rank != batchRank)
        {
            if (strict && example is > 0)
                throw new AttributionShapeException(
                    $"{Capital(what)} has shape {ShapeText}, with no batch dimension, so example {example} does not exist.");
            return this;
        }
        long batch = Shape[0];
        int index;
        if (example is { } e)
        {
            if (e < 0 || e >= batch)
                throw new AttributionShapeException($"Example {e} is out of range: {what} holds {batch} example(s) (shape {ShapeText}).");
            index = e;
        }
        else if (batch == 1) index = 0;
        else
            throw new AttributionShapeException(
                $"{Capital(what)} holds a batch of {batch} examples (shape {ShapeText}); choose one with ForExample(index).");
        long size = Values.Length / batch;
        var values = new double[size];
        Array.Copy(Values, index * size, values, 0, size);
        return this with { Values = values, Shape = Shape[1..] };
    }

    public static string Capital(string s) => s.Length == 0 ? s : char.ToUpper(s[0], CultureInfo.InvariantCulture) + s[1..];
}
