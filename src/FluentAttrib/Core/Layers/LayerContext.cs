using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Core.Layers;

/// <summary>Everything a layer method needs: the run's context, the resolved layers, input or output.</summary>
internal sealed class LayerContext
{
    public required AttributionContext Run { get; init; }
    public required IReadOnlyList<ResolvedLayer> Layers { get; init; }
    public required bool ToInput { get; init; }

    /// <summary>The layer of a single-layer method.</summary>
    public ResolvedLayer Layer => Layers[0];
}

/// <summary>Everything a neuron method needs.</summary>
internal sealed class NeuronContext
{
    public required AttributionContext Run { get; init; }
    public required ResolvedLayer Layer { get; init; }
    public required bool ToInput { get; init; }
    public required NeuronSelector Selector { get; init; }
}

/// <summary>Selects one value per example from a layer's output: an index tuple (slices summed) or a function.</summary>
internal sealed class NeuronSelector
{
    private NeuronSelector(NeuronAxis[]? axes, Func<Tensor, Tensor>? function)
    {
        Axes = axes;
        Function = function;
    }

    public NeuronAxis[]? Axes { get; }
    public Func<Tensor, Tensor>? Function { get; }

    public static NeuronSelector Of(NeuronAxis[] axes) => new(axes, null);

    public static NeuronSelector Of(Func<Tensor, Tensor> function) => new(null, function);

    /// <summary>Checks the indices against a declared shape (without batch), if the layer declares one.</summary>
    public void CheckDeclared(Layer layer, bool toInput)
    {
        if (Axes is null || toInput || layer.Shape is not { } shape) return;
        Check(shape.ToArray(), layer.ToString(), "declared output");
    }

    /// <summary>The selected neuron, one value per example (shape (B)).</summary>
    public Tensor Select(Tensor layerValue, ResolvedLayer layer, bool toInput)
    {
        long batch = layerValue.shape[0];
        if (Function is { } f)
        {
            var r = f(layerValue) ?? throw new InvalidOperationException($"The neuron selector of layer {layer} returned null.");
            if (r.dim() == 0 || r.shape[0] != batch || r.numel() != batch)
                throw new InvalidOperationException(
                    $"The neuron selector of layer {layer} must return one value per example (shape ({batch})) but returned shape {Shapes.Format(r.shape)}.");
            return r.dim() == 1 ? r : r.reshape(batch);
        }
        var axes = Axes!;
        var rest = layerValue.shape.AsSpan(1).ToArray();
        Check(rest, layer.ToString(), toInput ? "input" : "output");
        var index = new TensorIndex[axes.Length + 1];
        index[0] = TensorIndex.Colon;
        bool sliced = false;
        for (int d = 0; d < axes.Length; d++)
        {
            var a = axes[d];
            if (a.IsSlice)
            {
                var (s, e, step, _) = a.Resolve(rest[d]);
                index[d + 1] = TensorIndex.Slice(s, e, step);
                sliced = true;
            }
            else index[d + 1] = TensorIndex.Single(a.Index);
        }
        var selected = layerValue.index(index);
        return sliced ? selected.reshape(batch, -1).sum(dim: 1) : selected;
    }

    private void Check(long[] rest, string layer, string what)
    {
        var axes = Axes!;
        if (axes.Length != rest.Length)
            throw new ArgumentException(
                $"Neuron {this} has {axes.Length} index(es) but the {what} of layer {layer} has shape {Shapes.Format(rest)} (without batch): give {rest.Length}.",
                "neuron");
        for (int d = 0; d < axes.Length; d++)
        {
            var a = axes[d];
            if (!a.IsSlice && (a.Index < -rest[d] || a.Index >= rest[d]))
                throw new ArgumentOutOfRangeException("neuron",
                    $"Neuron {this} is out of range for the {what} of layer {layer}, of shape {Shapes.Format(rest)} (without batch): index {d} must be in [{-rest[d]}, {rest[d] - 1}].");
            if (a.IsSlice && a.Resolve(rest[d]).Count == 0)
                throw new ArgumentOutOfRangeException("neuron",
                    $"Neuron {this} selects nothing along dimension {d} of the {what} of layer {layer}, of shape {Shapes.Format(rest)} (without batch).");
        }
    }

    public override string ToString() =>
        Function is not null ? "(selector function)" : "(" + string.Join(", ", Axes!.Select(a => a.ToString())) + ")";
}
