using System.Collections.Immutable;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Groups input elements into features for perturbation methods: an integer tensor broadcastable to the input
/// (e.g. (1, 1, H, W) shared by the batch and the channels) whose equal values form one feature. For multi-input
/// models give one mask per input (<see cref="PerInput"/>); an id used in several inputs is one feature across them.
/// A <see cref="Tensor"/> converts implicitly.
/// </summary>
public sealed class FeatureMask
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
            var mask = Core.ExampleExpansion.AdaptMask(Masks[i], inputs[i]); // per-example masks inside NoiseTunnel / metrics
            if (!Shapes.Broadcastable(mask.shape, inputs[i].shape))
                throw new ArgumentException(
                    $"Feature mask {i} of shape {Shapes.Format(Masks[i].shape)} does not broadcast to input {i} of shape {Shapes.Format(inputs[i].shape)}.",
                    paramName);
            result[i] = mask.to(ScalarType.Int64, inputs[i].device).expand(inputs[i].shape);
        }
        return result;
    }
}
