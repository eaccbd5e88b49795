using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Core;

/// <summary>
/// The model seen as a function of its attributed inputs followed by any additional (not attributed) arguments.
/// </summary>
internal sealed class ForwardFunction
{
    private readonly Func<Tensor[], Tensor> _invoke;

    public ForwardFunction(Func<Tensor[], Tensor> invoke, int? arity, nn.Module? module, string description)
    {
        _invoke = invoke;
        Arity = arity;
        Module = module;
        Description = description;
    }

    /// <summary>Number of tensors the function takes (attributed + additional), or null for any number.</summary>
    public int? Arity { get; }

    /// <summary>The module behind the function, when there is one (layer methods and hooks need it).</summary>
    public nn.Module? Module { get; }

    /// <summary>What the function is, for messages.</summary>
    public string Description { get; }

    /// <summary>
    /// Runs the model on <paramref name="inputs"/> followed by <paramref name="additional"/>. An additional tensor
    /// whose first dimension equals <paramref name="originalBatch"/> is expanded to a batch of
    /// <paramref name="expansion"/> copies (tiled, or example-major when <paramref name="interleave"/>).
    /// </summary>
    public Tensor Invoke(IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> additional, long originalBatch = -1,
        int expansion = 1, bool interleave = false)
    {
        var args = new Tensor[inputs.Count + additional.Count];
        for (int i = 0; i < inputs.Count; i++) args[i] = inputs[i];
        for (int j = 0; j < additional.Count; j++)
        {
            var a = additional[j];
            if (expansion != 1 && a.dim() > 0 && a.shape[0] == originalBatch)
                a = interleave ? a.repeat_interleave(expansion, dim: 0) : cat(Enumerable.Repeat(a, expansion).ToArray(), 0);
            args[inputs.Count + j] = a;
        }
        var output = _invoke(args);
        if (output is null)
            throw new InvalidOperationException($"{Description} returned null instead of an output tensor.");
        return output;
    }
}
