using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Core;

/// <summary>
/// The model seen as a function of its attributed inputs followed by any additional (not attributed) arguments.
/// </summary>
internal sealed class ForwardFunction
{
    private readonly Func<Tensor[], Tensor> _invoke;

    public ForwardFunction(Func<Tensor[], Tensor> invoke, int? arity, nn.Module? module, string description, bool differentiable = true)
    {
        _invoke = invoke;
        Arity = arity;
        Module = module;
        Description = description;
        Differentiable = differentiable;
    }

    /// <summary>Whether gradients flow through the function (false for a black box such as an ONNX Runtime session).</summary>
    public bool Differentiable { get; }

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
    /// The output must have one row per input row, or <paramref name="outputRows"/> rows when that is given (a hook
    /// that replaces a layer's value by a batch of copies, so that only the modules after it see more rows).
    /// </summary>
    public Tensor Invoke(IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> additional, long originalBatch = -1,
        int expansion = 1, bool interleave = false, long outputRows = -1)
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
        Tensor output;
        try
        {
            output = _invoke(args);
        }
        catch (System.Runtime.InteropServices.ExternalException e) when (Diagnose(inputs, additional, e) is { } diagnosed)
        {
            throw diagnosed;
        }
        if (output is null)
            throw new InvalidOperationException($"{Description} returned null instead of an output tensor.");
        long batch = inputs.Count > 0 && inputs[0].dim() > 0 ? inputs[0].shape[0] : -1;
        if (outputRows >= 0 && (output.dim() == 0 || output.shape[0] != outputRows))
            throw new ArgumentException(
                $"{Description} returned an output of shape {Shapes.Format(output.shape)} where {outputRows} row(s) were expected " +
                $"(one per copy of a layer's value that replaced its {batch} row(s)).", "model");
        if (outputRows < 0 && batch >= 0 && (output.dim() == 0 || output.shape[0] != batch))
            throw new ArgumentException(
                $"{Description} returned an output of shape {Shapes.Format(output.shape)} for a batch of " +
                (originalBatch > 0 && originalBatch != batch ? $"{originalBatch} example(s) (evaluated as {batch} rows)" : $"{batch} example(s)") +
                ": attribution needs one output row per example " +
                "(first dimension = batch). Does the model reduce over the batch (e.g. mean(0) or sum())? Return one row per example and reduce after attribution.",
                "model");
        return output;
    }

    /// <summary>
    /// Turns a native failure of the forward pass into an <see cref="ArgumentException"/> naming the argument at
    /// fault, when one of the known causes applies: an additional argument whose batch differs from the inputs', or
    /// token ids outside an embedding's vocabulary.
    /// </summary>
    private Exception? Diagnose(IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> additional, Exception native)
    {
        long batch = inputs.Count > 0 && inputs[0].dim() > 0 ? inputs[0].shape[0] : -1;
        for (int j = 0; j < additional.Count; j++)
        {
            var a = additional[j];
            if (a.dim() >= 2 && a.shape[0] != batch && a.shape[0] != 1)
                return new ArgumentException(
                    $"The forward pass failed and additional argument {j} has shape {Shapes.Format(a.shape)} while the inputs have {batch} example(s): " +
                    $"give it one row per example (first dimension {batch}) or a broadcastable shape. ({FirstLine(native.Message)})", "arguments", native);
        }
        if (Module is not null && native.Message.Contains("index out of range", StringComparison.OrdinalIgnoreCase))
        {
            var facts = ModelFacts.Of(Module);
            foreach (var x in inputs)
                if (!x.is_floating_point() && facts.Embeddings.Count > 0 && x.numel() > 0)
                {
                    var (path, count) = facts.Embeddings.MinBy(e => e.Count);
                    long min = x.min().item<long>(), max = x.max().item<long>();
                    return new ArgumentOutOfRangeException("inputs",
                        $"The forward pass failed on token ids from {min} to {max} (inputs or baselines): an embedding's vocabulary is smaller " +
                        $"(e.g. '{path}' has {count} entries). ({FirstLine(native.Message)})");
                }
        }
        return null;
    }

    private static string FirstLine(string message)
    {
        int n = message.IndexOf('\n');
        return n < 0 ? message : message[..n];
    }
}
