using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Grad-CAM (Selvaraju et al., 2017): the layer's gradients averaged over every dimension after the channel one give
/// one weight per channel; the map is Σ_channels weight · activation, shape (B, 1, ...) (or per channel with
/// <see cref="KeepChannels"/>), optionally passed through a ReLU. No upsampling: use
/// <see cref="LayerAttribution.Interpolate(Tensor, long[], InterpolationMode)"/>. Captum's <c>LayerGradCam</c>.
/// </summary>
public sealed record LayerGradCam : LayerAttributionMethod
{
    private LayerGradCam() { }

    /// <summary>Signed maps summed over channels (Captum's defaults).</summary>
    public static LayerGradCam Default { get; } = new();

    /// <summary>Whether a ReLU is applied to the map (<c>relu_attributions</c>). <value>The default value is false.</value></summary>
    public bool AppliesRelu { get; private init; }

    /// <summary>Whether the map is summed over channels (<c>attr_dim_summation</c>). <value>The default value is true.</value></summary>
    public bool SumsChannels { get; private init; } = true;

    /// <summary>Keeps only positive evidence: ReLU on the map (true).</summary>
    public LayerGradCam Relu(bool relu = true) => this with { AppliesRelu = relu };

    /// <summary>Returns one weighted map per channel instead of their sum (Captum's <c>attr_dim_summation=False</c>).</summary>
    public LayerGradCam KeepChannels(bool keep = true) => this with { SumsChannels = !keep };

    /// <inheritdoc />
    public override string Name => nameof(LayerGradCam);

    /// <inheritdoc />
    public override string Describe() =>
        Name + (AppliesRelu || !SumsChannels ? "(" + string.Join(", ", new[] { AppliesRelu ? "relu" : null, SumsChannels ? null : "per channel" }.OfType<string>()) + ")" : "");

    internal override Attribution Attribute(LayerContext context)
    {
        using var scope = NewDisposeScope();
        var run = context.Run;
        var (grads, values, _) = LayerProbe.Gradients(run, run.Inputs, context.Layers, context.ToInput, run.Target);
        var g = grads[0];
        var a = values[0];
        if (g.dim() < 2)
            throw new InvalidOperationException($"LayerGradCam needs a layer value with a channel dimension (B, C, ...); layer {context.Layer} gives shape {Shapes.Format(g.shape)}.");
        var weights = g.dim() > 2 ? g.mean(Enumerable.Range(2, (int)g.dim() - 2).Select(d => (long)d).ToArray(), keepdim: true) : g;
        var map = SumsChannels ? (weights * a).sum(dim: 1, keepdim: true) : weights * a;
        if (AppliesRelu) map = nn.functional.relu(map);
        return Result(context, [map.MoveToOuterDisposeScope()]);
    }
}
