using System.Globalization;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// What a perturbation metric puts in place of the features it removes (Quantus's <c>perturb_baseline</c>; the
/// "substrate" of the RISE paper). Statistics (<see cref="Minimum"/>, <see cref="Maximum"/>, <see cref="Mean"/>) are
/// taken from an array that each metric documents (the example as perturbed so far, the original example, or the
/// batch); <see cref="Constant"/> and <see cref="Of(Tensor)"/> are fixed; <see cref="Blur"/> is a Gaussian-blurred
/// copy of the example; <see cref="Token"/> is a token id for inputs of token ids (Deletion and Insertion). Two
/// substrates are equal when they are the same kind with equal numbers (tensors by reference).
/// </summary>
public sealed class Substrate : IEquatable<Substrate>
{
    internal enum SubstrateKind { Minimum, Maximum, Mean, Constant, Tensor, Blur, Token }

    private Substrate(SubstrateKind kind, double value = 0, Tensor? tensor = null)
    {
        Kind = kind;
        Value = value;
        Field = tensor;
    }

    internal SubstrateKind Kind { get; }

    /// <summary>The constant, or the blur's standard deviation in elements.</summary>
    internal double Value { get; }

    internal Tensor? Field { get; }

    /// <summary>The smallest value of the array (Quantus's <c>"black"</c>: the minimum of the example, not 0).</summary>
    public static Substrate Minimum { get; } = new(SubstrateKind.Minimum);

    /// <summary>The largest value of the array (Quantus's <c>"white"</c>).</summary>
    public static Substrate Maximum { get; } = new(SubstrateKind.Maximum);

    /// <summary>The mean of the array (Quantus's <c>"mean"</c>).</summary>
    public static Substrate Mean { get; } = new(SubstrateKind.Mean);

    /// <summary>A fixed number (Quantus's numeric <c>perturb_baseline</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is NaN or infinite.</exception>
    public static Substrate Constant(double value)
    {
        if (!double.IsFinite(value)) throw new ArgumentOutOfRangeException(nameof(value), value, "The substrate value must be finite.");
        return new(SubstrateKind.Constant, value);
    }

    /// <summary>
    /// A tensor broadcastable to the input (e.g. (1, C, H, W) shared by the batch, or one per example): a removed
    /// feature takes the tensor's value at its position.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="substrate"/> is null.</exception>
    public static Substrate Of(Tensor substrate)
    {
        ArgumentNullException.ThrowIfNull(substrate);
        return new(SubstrateKind.Tensor, tensor: substrate);
    }

    /// <summary>
    /// A Gaussian-blurred copy of the example (images: the last two axes; other inputs: the last axis), standard
    /// deviation <paramref name="sigma"/> elements, kernel 2·ceil(3σ)+1 with edges replicated: the RISE paper's
    /// blur substrate for insertion.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sigma"/> is not positive and finite.</exception>
    public static Substrate Blur(double sigma)
    {
        if (!(sigma > 0) || !double.IsFinite(sigma)) throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "The blur's standard deviation must be positive and finite.");
        return new(SubstrateKind.Blur, sigma);
    }

    /// <summary>
    /// A token id (e.g. the tokenizer's [PAD] or [MASK] id) that replaces the removed tokens of an input of token ids
    /// (an integer tensor (B, L)): Deletion and Insertion on text. The id is checked against the model's embedding when
    /// the model has one. For floating-point inputs use <see cref="Constant"/>; to keep special tokens such as [CLS] and
    /// [SEP], give a tensor of ids holding them at their positions with <see cref="Of(Tensor)"/> instead.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is negative.</exception>
    public static Substrate Token(long id)
    {
        if (id < 0) throw new ArgumentOutOfRangeException(nameof(id), id, "A token id is not negative.");
        return new(SubstrateKind.Token, id);
    }

    /// <summary>Converts a number to <see cref="Constant"/>.</summary>
    public static implicit operator Substrate(double value) => Constant(value);

    /// <summary>Whether the substrate is a statistic of an array (minimum, maximum, mean).</summary>
    internal bool IsStatistic => Kind is SubstrateKind.Minimum or SubstrateKind.Maximum or SubstrateKind.Mean;

    /// <summary>The statistic or constant of <paramref name="values"/> (not for tensor or blur substrates).</summary>
    internal double Of(ReadOnlySpan<double> values) => Kind switch
    {
        SubstrateKind.Minimum => Min(values),
        SubstrateKind.Maximum => Max(values),
        SubstrateKind.Mean => Sum(values) / values.Length,
        SubstrateKind.Constant => Value,
        SubstrateKind.Token => throw new ArgumentException(
            $"The substrate {this} is a token id, for inputs of token ids (Deletion and Insertion); this metric replaces floating-point values: use Substrate.Constant, Minimum, Maximum or Mean.", "substrate"),
        _ => throw new InvalidOperationException($"The {this} substrate is not a single value; this metric needs a minimum, maximum, mean or constant."),
    };

    internal static double Sum(ReadOnlySpan<double> v)
    {
        double s = 0;
        foreach (var x in v) s += x;
        return s;
    }

    private static double Min(ReadOnlySpan<double> v)
    {
        double m = double.PositiveInfinity;
        foreach (var x in v) if (x < m) m = x;
        return m;
    }

    private static double Max(ReadOnlySpan<double> v)
    {
        double m = double.NegativeInfinity;
        foreach (var x in v) if (x > m) m = x;
        return m;
    }

    /// <summary>Checks that the substrate is a single value (for metrics that replace by one number per step).</summary>
    internal void RequireValue(string metric)
    {
        if (Kind is SubstrateKind.Tensor or SubstrateKind.Blur or SubstrateKind.Token)
            throw new ArgumentException($"{metric} replaces features by one value per step; use Substrate.Minimum, Maximum, Mean or Constant, not {this}.", "substrate");
    }

    /// <inheritdoc />
    public bool Equals(Substrate? other) =>
        other is not null && Kind == other.Kind && Value.Equals(other.Value) && ReferenceEquals(Field, other.Field);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Substrate);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Kind, Value, Field is null ? 0 : System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(Field));

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        SubstrateKind.Constant => Value.ToString(CultureInfo.InvariantCulture),
        SubstrateKind.Blur => $"Blur({Value.ToString(CultureInfo.InvariantCulture)})",
        SubstrateKind.Token => $"Token({Value.ToString(CultureInfo.InvariantCulture)})",
        SubstrateKind.Tensor => "Tensor",
        _ => Kind.ToString(),
    };
}
