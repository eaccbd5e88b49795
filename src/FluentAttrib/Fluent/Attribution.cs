using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// The result of an attribution: one tensor per input (same shape as that input, or the layer's shape for layer
/// methods), the convergence delta where the method defines one, and what produced it.
/// Disposing it disposes the tensors it holds.
/// </summary>
public sealed class Attribution : IDisposable
{
    internal Attribution(IReadOnlyList<Tensor> values, Tensor? delta, string method, Target target)
    {
        Values = values;
        Delta = delta;
        Method = method;
        Target = target;
    }

    /// <summary>The attributions, one per attributed input (a tuple in Captum's terms).</summary>
    public IReadOnlyList<Tensor> Values { get; }

    /// <summary>The attribution of the first (usually only) input.</summary>
    public Tensor Value => Values[0];

    /// <summary>Per-example convergence delta, or null when the method defines none or it was not asked for.</summary>
    public Tensor? Delta { get; }

    /// <summary>A short description of the method and its settings.</summary>
    public string Method { get; }

    /// <summary>The target that was explained.</summary>
    public Target Target { get; }

    /// <summary>Deconstructs into the first attribution and the delta.</summary>
    public void Deconstruct(out Tensor value, out Tensor? delta)
    {
        value = Value;
        delta = Delta;
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Method} for target {Target}: " + string.Join(", ", Values.Select(v => "[" + string.Join(",", v.shape) + "]"));

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var v in Values) v.Dispose();
        Delta?.Dispose();
    }
}
