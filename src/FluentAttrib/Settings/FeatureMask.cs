using System.Collections.Immutable;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Groups input elements into features for perturbation methods: an integer tensor broadcastable to the input
/// (e.g. (1, 1, H, W) shared by the batch and the channels) whose equal values form one feature. For multi-input
/// models give one mask per input (<see cref="PerInput"/>); an id used in several inputs is one feature across them.
/// A <see cref="Tensor"/> converts implicitly. Two feature masks are equal when they hold the same tensors (by
/// reference) in the same order.
/// </summary>
public sealed class FeatureMask : IEquatable<FeatureMask>
{
    private FeatureMask(ImmutableArray<Tensor> masks) => Masks = masks;

    /// <summary>The masks, one per input.</summary>
    public ImmutableArray<Tensor> Masks { get; }

    /// <summary>One mask per input.</summary>
    /// <exception cref="ArgumentException">No mask given, or a mask is not of an integer type.</exception>
    public static FeatureMask PerInput(params Tensor[] masks)
    {
        ArgumentNullException.ThrowIfNull(masks);
        if (masks.Length == 0) throw new ArgumentException("Give at least one feature mask.", nameof(masks));
        for (int i = 0; i < masks.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(masks[i], $"{nameof(masks)}[{i}]");
            if (masks[i].is_floating_point() || masks[i].is_complex())
                throw new ArgumentException($"Feature mask {i} must hold integer feature ids, not {masks[i].dtype}.", nameof(masks));
        }
        return new(masks.ToImmutableArray());
    }

    /// <summary>Converts a single mask.</summary>
    public static implicit operator FeatureMask(Tensor mask) => PerInput(mask);

    /// <summary>Checks the masks against <paramref name="inputs"/> and returns each broadcast to its input's shape.</summary>
    internal Tensor[] Expand(IReadOnlyList<Tensor> inputs, string paramName = "featureMask")
    {
        if (Masks.Length != inputs.Count)
            throw new ArgumentException($"{Masks.Length} feature masks were given for {inputs.Count} inputs.", paramName);
        var result = new Tensor[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            Core.RunChecks.RequireLive(Masks[i], $"{paramName}[{i}]", $"Feature mask {i}");
            if (Masks[i].device_type == TorchSharp.DeviceType.META)
                throw new ArgumentException($"Feature mask {i} is on the meta device (it has a shape but no data).", paramName);
            var mask = Masks[i];
            if (!Shapes.Broadcastable(mask.shape, inputs[i].shape))
                throw new ArgumentException(
                    $"Feature mask {i} of shape {Shapes.Format(mask.shape)} does not broadcast to input {i} of shape {Shapes.Format(inputs[i].shape)}.",
                    paramName);
            result[i] = mask.to(ScalarType.Int64, inputs[i].device).expand(inputs[i].shape);
        }
        return result;
    }

    /// <summary>
    /// This mask with every tensor replaced by <paramref name="adapt"/>(tensor, input index); this instance when nothing
    /// changes or the masks do not match <paramref name="inputCount"/> inputs (the method then reports the mismatch).
    /// </summary>
    internal FeatureMask Map(int inputCount, Func<Tensor, int, Tensor> adapt)
    {
        if (Masks.Length != inputCount) return this;
        var masks = new Tensor[inputCount];
        bool changed = false;
        for (int i = 0; i < inputCount; i++)
        {
            masks[i] = adapt(Masks[i], i);
            changed |= !ReferenceEquals(masks[i], Masks[i]);
        }
        return changed ? new(masks.ToImmutableArray()) : this;
    }

    /// <inheritdoc />
    public bool Equals(FeatureMask? other)
    {
        if (ReferenceEquals(this, other)) return true;
        if (other is null || other.Masks.Length != Masks.Length) return false;
        for (int i = 0; i < Masks.Length; i++)
            if (!ReferenceEquals(Masks[i], other.Masks[i])) return false;
        return true;
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as FeatureMask);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var mask in Masks) hash.Add(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(mask));
        return hash.ToHashCode();
    }

    /// <summary>Whether two feature masks hold the same tensors.</summary>
    public static bool operator ==(FeatureMask? left, FeatureMask? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Whether two feature masks differ.</summary>
    public static bool operator !=(FeatureMask? left, FeatureMask? right) => !(left == right);
}
