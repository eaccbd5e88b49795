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
    private readonly IReadOnlyList<Tensor> _values;
    private readonly Tensor? _delta;
    private bool _disposed;

    internal Attribution(IReadOnlyList<Tensor> values, Tensor? delta, string method, Target target)
    {
        _values = values;
        _delta = delta;
        Method = method;
        Target = target;
    }

    /// <summary>The attributions, one per attributed input (a tuple in Captum's terms).</summary>
    /// <exception cref="ObjectDisposedException">The attribution was disposed.</exception>
    public IReadOnlyList<Tensor> Values
    {
        get
        {
            ThrowIfDisposed();
            return _values;
        }
    }

    /// <summary>The attribution of the first (usually only) input.</summary>
    /// <exception cref="ObjectDisposedException">The attribution was disposed.</exception>
    public Tensor Value => Values[0];

    /// <summary>Per-example convergence delta, or null when the method defines none or it was not asked for.</summary>
    /// <exception cref="ObjectDisposedException">The attribution was disposed.</exception>
    public Tensor? Delta
    {
        get
        {
            ThrowIfDisposed();
            return _delta;
        }
    }

    private void ThrowIfDisposed()
    {
        if (_disposed)
            throw new ObjectDisposedException(nameof(Attribution), $"This attribution ({Method} for target {Target}) was disposed, and its tensors with it.");
    }

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
    public override string ToString() => _disposed ? $"{Method} for target {Target} (disposed)" :
        $"{Method} for target {Target}: " + string.Join(", ", _values.Select(v => "[" + string.Join(",", v.shape) + "]"));

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var v in _values) v.Dispose();
        _delta?.Dispose();
    }
}
