using System.Collections.Immutable;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Reference values that attribution methods compare an input with: a scalar, a tensor broadcastable to the input
/// (e.g. shape (1, C, H, W) shared by the batch, or one per example), or one of these per input of a multi-input
/// model (<see cref="PerInput"/>). A <see cref="double"/> or a <see cref="Tensor"/> converts implicitly.
/// Two baselines are equal when they hold the same items in the same order: numbers by value, tensors by reference.
/// </summary>
public sealed class Baselines : IEquatable<Baselines>
{
    private readonly ImmutableArray<object> _items; // double or Tensor

    private Baselines(ImmutableArray<object> items) => _items = items;

    /// <summary>All zeros (the default of every method that takes baselines).</summary>
    public static Baselines Zero { get; } = new(ImmutableArray.Create<object>(0.0));

    /// <summary>One scalar for every element of every input.</summary>
    public static Baselines Scalar(double value) => new(ImmutableArray.Create<object>(value));

    /// <summary>A tensor broadcastable to each input.</summary>
    public static Baselines Of(Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(ImmutableArray.Create<object>(value));
    }

    /// <summary>One baseline per input, each a <see cref="double"/> or a <see cref="Tensor"/>.</summary>
    /// <exception cref="ArgumentException">An item is neither a number nor a tensor.</exception>
    public static Baselines PerInput(params object[] baselines)
    {
        ArgumentNullException.ThrowIfNull(baselines);
        var items = baselines.Select((b, i) => b switch
        {
            Tensor t => (object)t,
            double d => d,
            float f => (double)f,
            int n => (double)n,
            long l => (double)l,
            _ => throw new ArgumentException($"Baseline {i} must be a number or a Tensor, not {b?.GetType().Name ?? "null"}.", nameof(baselines)),
        }).ToImmutableArray();
        if (items.Length == 0) throw new ArgumentException("Give at least one baseline.", nameof(baselines));
        return new(items);
    }

    /// <summary>Converts a scalar baseline.</summary>
    public static implicit operator Baselines(double value) => Scalar(value);

    /// <summary>Converts a tensor baseline.</summary>
    public static implicit operator Baselines(Tensor value) => Of(value);

    /// <summary>Number of baselines given (1 = shared by all inputs).</summary>
    public int Count => _items.Length;

    /// <summary>The scalar of input <paramref name="index"/>, or null when that baseline is a tensor.</summary>
    internal double? ScalarFor(int index) => Item(index) as double?;

    /// <summary>The tensor of input <paramref name="index"/>, or null when that baseline is a scalar.</summary>
    internal Tensor? TensorFor(int index) => Item(index) as Tensor;

    private object Item(int index) => _items.Length == 1 ? _items[0] : _items[index];

    /// <summary>Checks that these baselines fit <paramref name="inputs"/>.</summary>
    internal void Validate(IReadOnlyList<Tensor> inputs, string paramName = "baselines")
    {
        if (_items.Length != 1 && _items.Length != inputs.Count)
            throw new ArgumentException(
                $"{_items.Length} baselines were given for {inputs.Count} inputs; give one per input or one for all.", paramName);
        for (int i = 0; i < inputs.Count; i++)
        {
            if (Item(i) is Tensor live) Core.RunChecks.RequireLive(live, $"baselines[{i}]", $"Baseline {i}");
            if (Item(i) is Tensor t && !Shapes.Broadcastable(t.shape, inputs[i].shape))
                throw new ArgumentException(
                    $"Baseline {i} of shape {Shapes.Format(t.shape)} does not broadcast to input {i} of shape {Shapes.Format(inputs[i].shape)}.",
                    paramName);
        }
    }

    /// <summary>
    /// The baseline of input <paramref name="index"/> as a tensor of exactly that input's shape, dtype and device
    /// (a broadcast view where possible).
    /// </summary>
    internal Tensor Materialize(int index, Tensor input, Core.RunChecks? checks)
    {
        switch (Item(index))
        {
            case double d:
                if (!double.IsFinite(d) && checks is { AllowNonFinite: false })
                    throw new ArgumentException(
                        $"Baseline {index} is {d}; attributions would be NaN. Give a finite baseline, or call WithNonFiniteValues() on the run.", "baselines");
                return full_like(input, d);
            case Tensor t:
                if (checks is not null) checks.CheckBaseline(index, t, input);
                else Core.RunChecks.RequireLive(t, $"baselines[{index}]", $"Baseline {index}");
                if (!Shapes.Broadcastable(t.shape, input.shape))
                    throw new ArgumentException(
                        $"Baseline {index} of shape {Shapes.Format(t.shape)} does not broadcast to input {index} of shape {Shapes.Format(input.shape)}.",
                        "baselines");
                return t.to(input.dtype, input.device).expand(input.shape);
            default:
                throw new InvalidOperationException("unreachable");
        }
    }

    /// <summary>The baselines of all inputs, each of its input's shape.</summary>
    /// <param name="inputs">The inputs.</param>
    /// <param name="checks">The run's checks (finite values, live tensors, vocabulary), or null outside a checked run.</param>
    internal Tensor[] MaterializeAll(IReadOnlyList<Tensor> inputs, Core.RunChecks? checks)
    {
        Validate(inputs);
        return inputs.Select((x, i) => Materialize(i, x, checks)).ToArray();
    }

    /// <summary>
    /// These baselines with every tensor replaced by <paramref name="adapt"/>(tensor, input index), one entry per input
    /// of <paramref name="inputCount"/> (a shared tensor is adapted for each input); this instance when nothing changes
    /// or the count does not fit (the method then reports the mismatch).
    /// </summary>
    internal Baselines Map(int inputCount, Func<Tensor, int, Tensor> adapt)
    {
        if (_items.Length != 1 && _items.Length != inputCount) return this;
        var items = new object[inputCount];
        bool changed = false;
        for (int i = 0; i < inputCount; i++)
        {
            var item = Item(i);
            if (item is Tensor t)
            {
                var adapted = adapt(t, i);
                changed |= !ReferenceEquals(adapted, t);
                item = adapted;
            }
            items[i] = item;
        }
        return changed ? new(items.ToImmutableArray()) : this;
    }

    /// <inheritdoc />
    public bool Equals(Baselines? other)
    {
        if (ReferenceEquals(this, other)) return true;
        if (other is null || other._items.Length != _items.Length) return false;
        for (int i = 0; i < _items.Length; i++)
        {
            bool same = (_items[i], other._items[i]) switch
            {
                (double a, double b) => a.Equals(b),
                (Tensor a, Tensor b) => ReferenceEquals(a, b),
                _ => false,
            };
            if (!same) return false;
        }
        return true;
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Baselines);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var item in _items)
            hash.Add(item is Tensor t ? System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(t) : item.GetHashCode());
        return hash.ToHashCode();
    }

    /// <summary>Whether two baselines hold the same items (numbers by value, tensors by reference).</summary>
    public static bool operator ==(Baselines? left, Baselines? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Whether two baselines differ.</summary>
    public static bool operator !=(Baselines? left, Baselines? right) => !(left == right);

    /// <inheritdoc />
    public override string ToString() =>
        string.Join(", ", _items.Select(o => o is Tensor t ? "tensor" + Shapes.Format(t.shape) : ((double)o).ToString(System.Globalization.CultureInfo.InvariantCulture)));
}
