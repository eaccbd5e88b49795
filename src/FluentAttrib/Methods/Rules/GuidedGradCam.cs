using System.Diagnostics;
using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using FluentAttrib.Core.Rules;
using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Guided Grad-CAM (Selvaraju et al., 2017): <see cref="GuidedBackprop"/> times the ReLU'd <see cref="LayerGradCam"/>
/// map of a layer, upsampled to each input's spatial size and broadcast over its channels. Equal to Captum's
/// <c>GuidedGradCam</c>. Create one with <see cref="At(Layer)"/>.
/// </summary>
/// <remarks>
/// An input whose shape the map cannot be interpolated to (e.g. a (B, features) input of a multi-input model, or a
/// mode that needs another number of spatial dimensions) gets an empty tensor, as in Captum, and the result's
/// <see cref="Attribution.Method"/> says which input and why (also written to <see cref="Trace"/>). When no input can
/// take the map, an <see cref="ArgumentException"/> explains it instead.
/// </remarks>
public sealed record GuidedGradCam : AttributionMethod
{
    private GuidedGradCam(Layer layer) : base(new SettingValues()) => Layer = layer;

    /// <summary>
    /// Guided Grad-CAM with the Grad-CAM map of <paramref name="layer"/> (a dotted path converts implicitly), computed
    /// on the layer's output and upsampled with <see cref="InterpolationMode.Nearest"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="layer"/> is null.</exception>
    public static GuidedGradCam At(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return new(layer);
    }

    /// <summary>The layer whose Grad-CAM map weights the guided gradients (what the method is about, not a setting).</summary>
    public Layer Layer { get; }

    /// <summary>The method's settings, read back by name (<c>Settings.Interpolation</c>, <c>Settings.AtLayerInput</c>).</summary>
    public MethodSettings<GuidedGradCam> Settings => new(Values);

    /// <summary>Upsamples the map with <paramref name="mode"/> (Captum's <c>interpolate_mode</c>; the default is <see cref="InterpolationMode.Nearest"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined mode.</exception>
    public GuidedGradCam Interpolation(InterpolationMode mode)
    {
        if (!Enum.IsDefined(mode)) throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown interpolation mode.");
        return this with { Values = Values with { Interpolation = mode } };
    }

    /// <summary>Computes the Grad-CAM map on the layer's input (true) rather than its output (false, the default); Captum's <c>attribute_to_layer_input</c>.</summary>
    public GuidedGradCam AtLayerInput(bool input = true) => this with { Values = Values with { AtLayerInput = input } };


    /// <inheritdoc />
    public override string Describe() => $"GuidedGradCam(at {(Values.AtLayerInput ? "input of " : "")}{Layer}, {Values.Interpolation})";

    internal override Attribution Attribute(AttributionContext context)
    {
        if (context.Forward.Module is null)
            throw new ArgumentException(
                "GuidedGradCam hooks a layer and the model's ReLU modules, so it needs the model itself: use Explain(module) rather than Explain(function).",
                "model");
        var resolved = LayerBinding.Resolve(context.Forward, Layer);
        using var scope = NewDisposeScope();
        using var map = LayerGradCam.Default.Relu().Attribute(new LayerContext { Run = context, Layers = [resolved], ToInput = Values.AtLayerInput });
        var cam = map.Value;
        var guided = ModifiedReluRule.Gradients(context, Name, useGradOutput: false);
        var values = new Tensor[guided.Length];
        var notes = new List<string>();
        for (int i = 0; i < guided.Length; i++)
        {
            var input = context.Inputs[i];
            try
            {
                var upsampled = LayerAttribution.Interpolate(cam, input.shape[2..], Values.Interpolation);
                values[i] = (guided[i] * upsampled).MoveToOuterDisposeScope();
            }
            catch (ArgumentException e)
            {
                values[i] = empty(0, dtype: input.dtype, device: input.device).MoveToOuterDisposeScope();
                notes.Add($"input {i} (shape {Shapes.Format(input.shape)}) is empty: the Grad-CAM map of shape {Shapes.Format(cam.shape)} cannot be interpolated to it ({e.Message})");
            }
        }
        context.Report(Name, 1, 1);
        if (notes.Count == guided.Length)
            throw new ArgumentException(
                $"GuidedGradCam cannot upsample the Grad-CAM map of layer {resolved} (shape {Shapes.Format(cam.shape)}) to any input: " +
                "the map needs the layout (B, 1, spatial...) and each input (B, C, spatial...) with as many spatial dimensions as the interpolation mode supports. " +
                string.Join("; ", notes) + ".",
                "inputs");
        foreach (var note in notes) Trace.TraceWarning("GuidedGradCam: " + note);
        string method = notes.Count == 0 ? Describe() : Describe() + " — " + string.Join("; ", notes);
        return new Attribution(values, null, method, context.Target);
    }
}
