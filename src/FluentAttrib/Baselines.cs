using System.Collections.Immutable;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Reference values that attribution methods compare an input with: a scalar, a tensor broadcastable to the input
/// (e.g. shape (1, C, H, W) shared by the batch, or one per example), or one of these per input of a multi-input
/// model (<see cref="PerInput"/>). A <see cref="double"/> or a <see cref="Tensor"/> converts implicitly.
/// </summary>
public sealed class Baselines
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
            if (Item(i) is Tensor t && !Shapes.Broadcastable(Core.ExampleExpansion.AdaptedBaselineShape(t.shape, inputs[i]), inputs[i].shape))
                throw new ArgumentException(
                    $"Baseline {i} of shape {Shapes.Format(t.shape)} does not broadcast to input {i} of shape {Shapes.Format(inputs[i].shape)}.",
                    paramName);
        }
    }

    /// <summary>
    /// The baseline of input <paramref name="index"/> as a tensor of exactly that input's shape, dtype and device
    /// (a broadcast view where possible).
    /// </summary>
    internal Tensor Materialize(int index, Tensor input)
    {
        switch (Item(index))
        {
            case double d:
                if (!double.IsFinite(d) && Core.RunChecks.Current is { AllowNonFinite: false })
                    throw new ArgumentException(
                        $"Baseline {index} is {d}; attributions would be NaN. Give a finite baseline, or call WithNonFiniteValues() on the run.", "baselines");
                return full_like(input, d);
            case Tensor given:
                if (Core.RunChecks.Current is { } checks) checks.CheckBaseline(index, given, input);
                else Core.RunChecks.RequireLive(given, $"baselines[{index}]", $"Baseline {index}");
                var t = Core.ExampleExpansion.AdaptBaseline(given, index, input); // per-example baselines inside NoiseTunnel / metrics
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
    internal Tensor[] MaterializeAll(IReadOnlyList<Tensor> inputs)
    {
        Validate(inputs);
        return inputs.Select((x, i) => Materialize(i, x)).ToArray();
    }

    /// <inheritdoc />
    public override string ToString() =>
        string.Join(", ", _items.Select(o => o is Tensor t ? "tensor" + Shapes.Format(t.shape) : ((double)o).ToString(System.Globalization.CultureInfo.InvariantCulture)));
}
