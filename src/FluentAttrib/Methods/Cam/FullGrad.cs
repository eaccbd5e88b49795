using FluentAttrib.Core;
using FluentAttrib.Core.Cam;
using FluentAttrib.Core.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// FullGrad (Srinivas and Fleuret, 2019) as pytorch-grad-cam computes it: |∂L/∂x ⊙ x| per input channel plus, for
/// every Conv2d with a bias and every BatchNorm2d of the model (in module order), |bias ⊙ ∂L/∂out| summed over its
/// channels; every (example, channel) slice is min–max scaled and resized to the input before the sum, and the sum is
/// scaled again. An input method (it uses all bias layers, no layer is chosen):
/// <c>Explain(model).For(target).With(FullGrad.Default).Attribute(x)</c>, giving (B, H, W) in [0, 1]. A BatchNorm's
/// bias is its effective one, bias − running_mean·weight/√(running_var + eps). One forward and one backward pass.
/// </summary>
public sealed record FullGrad : AttributionMethod, ICamSetting
{
    private FullGrad() : base(new SettingValues()) { }

    /// <summary>The method with pytorch-grad-cam's defaults.</summary>
    public static FullGrad Default { get; } = new();

    /// <summary>The method's settings, read back by name (<c>Settings.AugSmooth</c>, <c>Settings.EigenSmooth</c>, <c>Settings.Output</c>, <c>Settings.GradCamQuirks</c>).</summary>
    public MethodSettings<FullGrad> Settings => new(Values);

    /// <inheritdoc />
    public override string Name => "FullGrad";

    /// <inheritdoc />
    public override string Describe()
    {
        var parts = new List<string>();
        if (Values.AugSmooth) parts.Add("aug smooth");
        if (Values.EigenSmooth) parts.Add("eigen smooth");
        if (Values.CamOutput != CamOutput.Map) parts.Add(Values.CamOutput.ToString().ToLowerInvariant());
        if (!Values.GradCamQuirks) parts.Add("textbook");
        return parts.Count == 0 ? Name : $"{Name}({string.Join(", ", parts)})";
    }

    internal override Attribution Attribute(AttributionContext context)
    {
        var x = CamEngine.ImageInput(context, Name);
        if (x.dim() != 4)
            throw new ArgumentException($"FullGrad explains images (B, C, H, W); got {Shapes.Format(x.shape)}.", "inputs");
        var model = context.Forward.Module
            ?? throw new ArgumentException("FullGrad reads the biases of the model's Conv2d and BatchNorm2d modules: explain a module, not a function.", "model");
        var size = x.shape.AsSpan(2).ToArray();
        var small = size.Select(s => s / 8).ToArray();
        if (Values.EigenSmooth && small.Any(s => s < 1))
            throw new ArgumentException($"FullGrad with EigenSmooth works at 1/8 of the input's size and needs at least 8×8 pixels; got {Shapes.Format(x.shape)}.", "inputs");
        using var scope = NewDisposeScope();
        var layers = BiasLayers(model, x.dtype, x.device);
        var resolved = layers.Select(l => l.Layer).ToArray();
        var result = CamEngine.Run(context, x, Values.AugSmooth, xa =>
        {
            var pass = CamPass.Run(context, xa, resolved, false, o => CamEngine.Resolve(context.Target, o, Name), new CamNeeds(Gradients: true, InputGradient: true));
            var terms = new Tensor[layers.Length + 1];
            terms[0] = (pass.InputGradient! * xa).abs();
            var parts = new Tensor[layers.Length + 1];
            parts[0] = CamMath.ScalePerChannel(terms[0], size);
            for (int l = 0; l < layers.Length; l++)
            {
                var g = pass.Gradients![l];
                terms[l + 1] = (CamMath.Expand(layers[l].Bias.unsqueeze(0), g) * g).abs();
                // Σ_c resize(scale(T_c)) = resize(Σ_c scale(T_c)): the resize is linear, so the channels are summed at
                // layer resolution and one map per layer is resized (pytorch-grad-cam resizes every channel).
                var summed = CamMath.ScalePerChannel(terms[l + 1], null).sum(dim: 1);
                parts[l + 1] = CamMath.Resize(summed, size).unsqueeze(1);
            }
            var stacked = cat(parts, 1);                                                 // (B, C_in + layers, H, W)
            Tensor map;
            if (Values.EigenSmooth)
            {
                var shrunk = CamMath.ScalePerChannel(stacked, small);
                var projection = CamMath.Project(shrunk, fixSign: !Values.GradCamQuirks);
                map = CamMath.ScaleAndResize(projection, size);
            }
            else map = stacked.sum(dim: 1);
            return new CamResult(CamMath.Scale(map), terms, null);
        });
        var values = CamEngine.Select(result, Values.CamOutput).Select(t => t.MoveToOuterDisposeScope()).ToArray();
        return Result(context, values);
    }

    /// <summary>Every Conv2d with a bias and every affine BatchNorm2d, in pre-order (pytorch-grad-cam's find_layer_predicate_recursive), with its bias.</summary>
    private static (ResolvedLayer Layer, Tensor Bias)[] BiasLayers(nn.Module model, ScalarType dtype, Device device)
    {
        var found = new List<(ResolvedLayer, Tensor)>();
        void Walk(nn.Module module, string prefix)
        {
            foreach (var (name, child) in module.named_children())
            {
                string path = prefix.Length == 0 ? name : prefix + "." + name;
                if (child is Conv2d conv && conv.GetType() == typeof(Conv2d) && conv.bias is { } b)
                    found.Add((new ResolvedLayer(new Layer(path), conv), b.detach().to(dtype, device)));
                else if (child is BatchNorm2d bn && bn.GetType() == typeof(BatchNorm2d) && bn.bias is { } beta && bn.weight is { } gamma
                         && bn.running_mean is { } mean && bn.running_var is { } variance)
                {
                    var effective = beta.detach() - mean * gamma.detach() / sqrt(variance + bn.eps);
                    found.Add((new ResolvedLayer(new Layer(path), bn), effective.to(dtype, device)));
                }
                Walk(child, path);
            }
        }
        using (no_grad()) Walk(model, "");
        return [.. found];
    }
}
