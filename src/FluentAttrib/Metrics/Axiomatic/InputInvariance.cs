using FluentAttrib.Core;
using FluentAttrib.Core.Metrics;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Input invariance (Kindermans et al., 2017; Quantus's <c>InputInvariance</c>): the input is shifted by a constant
/// (<c>InputShift</c>, default −1) and the model's first layer, a Conv2d, absorbs the shift in its bias
/// (b ← 2b − min over positions of conv(shift)), so the model's function is unchanged; the run's method explains the
/// shifted input with the shifted model, and the score is true when both attributions agree everywhere
/// (|a − a′| ≤ 1e-4 + 1e-5·|a′|). Returns a Bool tensor (B). Run it with
/// <c>Explain(model).For(target).With(method).Evaluate(InputInvariance.Default, input, attribution)</c>.
/// </summary>
/// <remarks>
/// The user's model is never changed: the shifted bias is added by a forward hook on the first layer during the
/// re-explanation and removed afterwards. <b>Quantus's quirk (the default):</b> Quantus 0.6.0 leaves the first element
/// of every example unshifted (an off-by-one); <c>QuantusQuirks(false)</c> shifts every element.
/// </remarks>
public sealed record InputInvariance : ExplanationMetric, IAttributionPreprocessingSetting, IQuantusQuirksSetting
{
    private InputInvariance(SettingValues values) : base(values) { }

    /// <summary>Quantus's defaults: shift −1, attributions as given (no normalization, signed), Quantus's quirk.</summary>
    public static InputInvariance Default { get; } = new(new SettingValues { Normalization = AttributionNormalization.None, Absolute = false, InputShift = Defaults.InputShift });

    /// <summary>The metric's settings, read back by name.</summary>
    public MethodSettings<InputInvariance> Settings => new(Values);

    /// <summary>The constant added to the input (Quantus's <c>input_shift</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="shift"/> is not finite.</exception>
    public InputInvariance InputShift(double shift)
    {
        if (!double.IsFinite(shift)) throw new ArgumentOutOfRangeException(nameof(shift), shift, "The shift must be finite.");
        return this with { Values = Values with { InputShift = shift } };
    }

    /// <inheritdoc />
    public override string Describe() => $"InputInvariance(shift {Values.InputShift}{(Values.QuantusQuirks ? ", Quantus's quirk" : "")})";

    internal override Tensor Evaluate(MetricRequest request)
    {
        var v = Values;
        var input = request.Input;
        if (input.dim() != 4 || !input.is_floating_point())
            throw new ArgumentException($"{Name} needs floating-point images (B, C, H, W); got {Shapes.Format(input.shape)} of {input.dtype}.", "input");
        var conv = FirstLayer(request.Context.Forward.Module);
        var a = MetricMath.Preprocess(request.Attribution, v.Normalization, v.Absolute);

        Tensor delta;
        using (no_grad())
        {
            using var shift = full([1, .. input.shape.Skip(1)], v.InputShift, dtype: input.dtype, device: input.device);
            using var fw = conv.forward(shift);
            var min = fw[0].reshape(fw.shape[1], -1).min(1).values;
            var bias = conv.bias is { } b ? b.detach() : zeros_like(min);
            delta = (bias - min).reshape(1, -1, 1, 1).DetachFromDisposeScope();
        }
        var shifted = input + v.InputShift;
        if (v.QuantusQuirks)
        {
            var flat = shifted.reshape(input.shape[0], -1);
            flat[.., 0] = input.reshape(input.shape[0], -1)[.., 0];
            shifted = flat.reshape(input.shape);
        }
        var remove = ModuleHooks.AddPost(conv, (_, _, output) => output + delta.to(output.dtype));
        double[][] e;
        try
        {
            e = Reexplanation.Explain(request, shifted, request.Context.Target, v);
        }
        finally
        {
            remove();
            delta.Dispose();
        }
        var result = a.Select((row, b) => row.Select((x, i) => Math.Abs(x - e[b][i]) <= 1e-4 + 1e-5 * Math.Abs(e[b][i])).All(t => t)).ToArray();
        return tensor(result).to(input.device);
    }

    /// <summary>The model's first leaf module in depth-first order, which must be a Conv2d.</summary>
    private static Conv2d FirstLayer(TorchSharp.torch.nn.Module? module)
    {
        if (module is null) throw new ArgumentException("InputInvariance changes the model's first layer: explain a module, not a function.", "model");
        var m = module;
        while (true)
        {
            var children = m.named_children().ToArray();
            if (children.Length == 0) break;
            m = children[0].module;
        }
        return m as Conv2d ?? throw new ArgumentException(
            $"InputInvariance needs a model whose first layer is a Conv2d (it absorbs the input shift in its bias); the first layer is {m.GetType().Name}.", "model");
    }
}

public static partial class MethodSettingReadBack
{
    extension(MethodSettings<InputInvariance> settings)
    {
        /// <summary>The constant added to the input.</summary>
        public double InputShift => settings.Values.InputShift;
    }
}
