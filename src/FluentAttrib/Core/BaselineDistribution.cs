using System.Collections.Immutable;
using static TorchSharp.torch;

namespace FluentAttrib.Core;

/// <summary>
/// The baseline distribution of DeepLiftShap and its layer and neuron forms: checked when set and when attributing,
/// fitted to the inputs, and described.
/// </summary>
internal static class BaselineDistributions
{
    /// <summary>The name, the size of the distribution, and whether only multipliers are returned.</summary>
    public static string Describe(string name, SettingValues values) =>
        $"{name}({(values.BaselineDistribution.Length == 0 ? "no baseline distribution" : $"{values.BaselineDistribution[0].shape[0]} baselines")}" +
        $"{(values.MultiplyByInputs ? "" : ", multipliers only")})";

    /// <summary>
    /// Checks one tensor per input, each with at least <paramref name="minimum"/> baselines along dimension 0 and the
    /// same number for every input.
    /// </summary>
    public static ImmutableArray<Tensor> Check(Tensor[] distribution, string paramName, int minimum = 2)
    {
        ArgumentNullException.ThrowIfNull(distribution, paramName);
        if (distribution.Length == 0) throw new ArgumentException("Give one baseline distribution tensor per input.", paramName);
        for (int i = 0; i < distribution.Length; i++)
        {
            var d = distribution[i] ?? throw new ArgumentNullException(paramName, $"Baseline distribution {i} is null.");
            if (d.dim() == 0)
                throw new ArgumentException($"Baseline distribution {i} is a scalar; it needs the baselines along dimension 0.", paramName);
            if (d.shape[0] < minimum)
                throw new ArgumentException(
                    minimum == 2
                        ? $"Baseline distribution {i} holds {d.shape[0]} baseline; DeepLiftShap needs at least 2 (use DeepLift for a single baseline)."
                        : $"Baseline distribution {i} holds no baseline.",
                    paramName);
            if (d.shape[0] != distribution[0].shape[0])
                throw new ArgumentException(
                    $"Baseline distribution {i} holds {d.shape[0]} baselines but distribution 0 holds {distribution[0].shape[0]}; every input needs the same number.",
                    paramName);
        }
        return [.. distribution];
    }

    /// <summary>Checks the distribution against the inputs and returns it in the inputs' dtype and device.</summary>
    public static Tensor[] Fit(ImmutableArray<Tensor> distribution, IReadOnlyList<Tensor> inputs, string method)
    {
        if (distribution.Length != inputs.Count)
            throw new ArgumentException($"{method} got {distribution.Length} baseline distributions for {inputs.Count} inputs; give one per input.", "baselines");
        var result = new Tensor[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            var d = distribution[i];
            if (!d.shape.AsSpan(1).SequenceEqual(inputs[i].shape.AsSpan(1)))
                throw new ArgumentException(
                    $"Baseline distribution {i} has shape {Shapes.Format(d.shape)}; its examples must have the shape of input {i}'s examples, {Shapes.Format(inputs[i].shape.AsSpan(1))}.",
                    "baselines");
            result[i] = d.to(inputs[i].dtype, inputs[i].device);
        }
        return result;
    }
}
