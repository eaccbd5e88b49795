using FluentAttrib.Core;
using FluentAttrib.Core.Cam;
using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// A class activation map of pytorch-grad-cam 1.5.5 (GradCam, GradCamPlusPlus, XGradCam, HiResCam, GradCamElementWise,
/// LayerCam, ScoreCam, AblationCam, EigenCam, EigenGradCam, ShapleyCam, FinerCam), used as a layer method on one or
/// more layers: <c>Explain(model).For(target).At(layer).With(GradCam.Default).Attribute(x)</c>. Each layer gives a map
/// Σ_c w_c·A_c (or an element-wise variant, or a principal-component projection); by default the result is
/// pytorch-grad-cam's: (B, H, W) in [0, 1] at the input's size, the layers' maps averaged (see <see cref="CamOutput"/>).
/// <para>Without a target (<see cref="Target.None"/>) each example's top class of a (B, classes) output is explained,
/// as pytorch-grad-cam does. Layers whose output is not (B, C, *spatial) take a <see cref="LayerReshape"/>
/// (<see cref="Layer.Reshaped"/>). Inputs: one image (B, C, H, W), a volume (B, C, D, H, W) or a signal (B, C, L).</para>
/// </summary>
public abstract record CamMethod : MultiLayerAttributionMethod, ICamSetting
{
    private protected CamMethod() : base(new SettingValues()) { }

    /// <summary>Whether the method weights channels (so <see cref="CamOutput.Weights"/> applies).</summary>
    internal virtual bool WeightsChannels => true;

    /// <summary>What the method's pass needs.</summary>
    internal virtual CamNeeds Needs => new(Gradients: true);

    /// <summary>Whether the layer map is always a projection (EigenCam, EigenGradCam).</summary>
    internal virtual bool AlwaysProjects => false;

    /// <summary>Whether the method uses the target (EigenCam does not).</summary>
    internal virtual bool UsesTarget => true;

    /// <inheritdoc />
    public override string Describe()
    {
        var parts = new List<string>();
        if (Values.AugSmooth) parts.Add("aug smooth");
        if (Values.EigenSmooth) parts.Add("eigen smooth");
        if (Values.CamOutput != CamOutput.Map) parts.Add(Values.CamOutput.ToString().ToLowerInvariant());
        if (!Values.GradCamQuirks) parts.Add("textbook");
        parts.AddRange(DescribeOwn());
        return parts.Count == 0 ? Name : $"{Name}({string.Join(", ", parts)})";
    }

    private protected virtual IEnumerable<string> DescribeOwn() => [];

    /// <summary>The target a pass explains, from the given one and the pass's output.</summary>
    internal virtual Target ResolveTarget(Target given, Tensor output) => UsesTarget ? CamEngine.Resolve(given, output, Name) : given;

    /// <summary>Channel weights (B, C) for the layer, or null for an element-wise method.</summary>
    internal virtual Tensor? ChannelWeights(CamLayer layer) => null;

    /// <summary>The weighted activations (B, C, *S) that are summed (or projected) over channels.</summary>
    internal virtual Tensor Weighted(CamLayer layer, Tensor? weights) => CamMath.Expand(weights!, layer.A) * layer.A;

    /// <summary>The raw map (B, *S) of one layer and its channel weights.</summary>
    internal (Tensor Raw, Tensor? Weights) LayerMap(CamLayer layer)
    {
        if (layer.A.dim() < 3)
            throw new InvalidOperationException(
                $"{Name} needs layer values of shape (B, C, *spatial); layer {layer.Layer} gives {Shapes.Format(layer.A.shape)}. Give the layer a LayerReshape (Layer.Reshaped).");
        var w = ChannelWeights(layer);
        var weighted = Weighted(layer, w);
        var raw = AlwaysProjects || Values.EigenSmooth ? CamMath.Project(weighted, fixSign: !Values.GradCamQuirks) : weighted.sum(dim: 1);
        return (raw, w);
    }

    internal override Attribution Attribute(LayerContext context)
    {
        var run = context.Run;
        var x = CamEngine.ImageInput(run, Name);
        using var scope = NewDisposeScope();
        var size = x.shape.AsSpan(2).ToArray();
        var result = CamEngine.Run(run, x, Values.AugSmooth, xa =>
        {
            var pass = CamPass.Run(run, xa, context.Layers, context.ToInput, o => ResolveTarget(run.Target, o), Needs);
            var raws = new Tensor[context.Layers.Count];
            var weights = new Tensor[context.Layers.Count];
            for (int k = 0; k < raws.Length; k++)
            {
                run.ThrowIfCancelled();
                var layer = new CamLayer(run, pass, k, context.Layers[k], Values, context.ToInput);
                if (layer.A.dim() < 3)
                    throw new InvalidOperationException(
                        $"{Name} needs layer values of shape (B, C, *spatial); layer {layer.Layer} gives {Shapes.Format(layer.A.shape)}. Give the layer a LayerReshape (Layer.Reshaped).");
                if (layer.A.dim() - 2 != size.Length)
                    throw new InvalidOperationException(
                        $"Layer {layer.Layer} gives {Shapes.Format(layer.A.shape)}: {layer.A.dim() - 2} spatial dimension(s) after (B, C), but the input has {size.Length}, so its map cannot be resized to the input. For token or channels-last outputs, give the layer a LayerReshape (Layer.Reshaped).");
                var (raw, w) = LayerMap(layer);
                raws[k] = raw;
                weights[k] = w!;
            }
            return new CamResult(CamEngine.Aggregate(raws, size, Values.GradCamQuirks), raws, WeightsChannels ? weights : null);
        });
        var values = CamEngine.Select(result, Values.CamOutput).Select(t => t.MoveToOuterDisposeScope()).ToArray();
        return Result(context, values);
    }
}

/// <summary>One target layer in one pass: its values A, gradients G (when the method uses them) and what else a method needs.</summary>
internal sealed class CamLayer(AttributionContext run, CamPass pass, int index, ResolvedLayer layer, SettingValues values, bool toInput = false)
{
    /// <summary>Whether the layer's value is its input (<c>AtInputOf</c>) rather than its output.</summary>
    public bool ToInput { get; } = toInput;
    public AttributionContext Run { get; } = run;
    public CamPass Pass { get; } = pass;
    public int Index { get; } = index;
    public ResolvedLayer Layer { get; } = layer;
    public SettingValues Values { get; } = values;
    public Tensor A => Pass.Activations[Index];
    public Tensor G => Pass.Gradients![Index];
    public Tensor Hvp => Pass.Hessians![Index];
    public Tensor Input => Pass.Input;
    public Target Target => Pass.Target;
}
