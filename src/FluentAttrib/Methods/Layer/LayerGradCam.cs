using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Grad-CAM (Selvaraju et al., 2017): the layer's gradients averaged over every dimension after the channel one give
/// one weight per channel; the map is Σ_channels weight · activation, shape (B, 1, ...) (or per channel with
/// <see cref="KeepChannels"/>), optionally passed through a ReLU (<see cref="Relu"/>). No upsampling: use
/// <see cref="LayerAttribution.Interpolate(Tensor, long[], InterpolationMode)"/>. Captum's <c>LayerGradCam</c>.
/// </summary>
public sealed record LayerGradCam : LayerAttributionMethod
{
    private LayerGradCam() : base(new SettingValues()) { }

    /// <summary>Signed maps summed over channels (Captum's defaults: no ReLU, channels summed).</summary>
    public static LayerGradCam Default { get; } = new();

    /// <summary>The method's settings, read back by name (<c>Settings.Relu</c>, <c>Settings.KeepChannels</c>).</summary>
    public MethodSettings<LayerGradCam> Settings => new(Values);

    /// <summary>Keeps only positive evidence: ReLU on the map (true; Captum's <c>relu_attributions</c>). The default is false.</summary>
    public LayerGradCam Relu(bool relu = true) => this with { Values = Values with { Relu = relu } };

    /// <summary>
    /// Returns one weighted map per channel instead of their sum (true; Captum's <c>attr_dim_summation=False</c>).
    /// The default is false.
    /// </summary>
    public LayerGradCam KeepChannels(bool keep = true) => this with { Values = Values with { KeepChannels = keep } };


    /// <inheritdoc />
    public override string Describe() =>
        Name + (Values.Relu || Values.KeepChannels
            ? "(" + string.Join(", ", new[] { Values.Relu ? "relu" : null, Values.KeepChannels ? "per channel" : null }.OfType<string>()) + ")"
            : "");

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
        var map = Values.KeepChannels ? weights * a : (weights * a).sum(dim: 1, keepdim: true);
        if (Values.Relu) map = nn.functional.relu(map);
        return Result(context, [map.MoveToOuterDisposeScope()]);
    }
}
