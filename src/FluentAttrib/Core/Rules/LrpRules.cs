using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FluentAttrib.Core.Rules;

/// <summary>
/// LRP on a layer (Captum's <c>PropagationRule</c> forward hook): at the output the gradient is divided by
/// z + ε·sign(z) (sign 0 counts as +1), at each input multiplied by the input; with the identity rule the input
/// receives the relevance that reached the output. Rules that modify weights route the gradient through the layer
/// recomputed with modified copies of its weights (z is then that recomputation), never through the model's own.
/// </summary>
internal sealed class LrpLayerRule(LrpRule spec) : GradientRule
{
    public LrpRule Spec { get; } = spec;

    /// <summary>Observes the relevance reaching the layer's output (Captum's <c>relevance_output</c>, before the division).</summary>
    public Action<Tensor>? OutputRelevanceObserved { get; set; }

    /// <summary>Observes the relevance leaving through input <c>i</c> (Captum's <c>relevance_input</c>).</summary>
    public Action<int, Tensor>? InputRelevanceObserved { get; set; }

    public override bool IsCaptumBackwardHook => false;
    public override bool NeedsInputs => true;
    public override bool NeedsOutput => true;
    public override bool NeedsGradOutput => Spec.Kind == LrpRuleKind.Identity;

    public override Tensor? GradientPath(RuleCall call, Tensor[] hookedInputs, Tensor output) =>
        Spec.ModifiesWeights ? ModifiedForward(call, hookedInputs[0]) : null;

    public override Tensor OutputGradient(RuleCall call, Tensor gradient)
    {
        OutputRelevanceObserved?.Invoke(gradient);
        var z = call.Output!;
        var sign = z.sign();
        sign = where(sign == 0, ones_like(sign), sign);
        return gradient / (z + sign * Spec.Stabilizer);
    }

    public override Tensor InputGradient(RuleCall call, int index, Tensor gradient)
    {
        var relevance = InputRelevance(call, index, gradient);
        InputRelevanceObserved?.Invoke(index, relevance);
        return relevance;
    }

    private Tensor InputRelevance(RuleCall call, int index, Tensor gradient)
    {
        if (Spec.Kind != LrpRuleKind.Identity) return gradient * call.Inputs[index];
        var relevance = call.GradOutput!;
        if (!relevance.shape.SequenceEqual(gradient.shape))
            throw new ArgumentException(
                $"LRP's identity rule on {ModuleTree.Describe(call.Path, call.Module)} needs an output of the input's shape, " +
                $"but the output is {Shapes.Format(relevance.shape)} and the input {Shapes.Format(gradient.shape)}.",
                "rules");
        return relevance;
    }

    /// <summary>Checks before any pass that the rule can be computed on <paramref name="module"/>.</summary>
    public static void CheckApplicable(LrpRule spec, nn.Module module, string path)
    {
        if (!spec.ModifiesWeights) return;
        bool supported = module switch
        {
            Linear => true,
            Convolution conv => !conv.transposed && conv.padding_mode == PaddingModes.Zeros && conv is Conv1d or Conv2d or Conv3d,
            BatchNorm bn => bn.affine,
            _ => false,
        };
        if (!supported)
            throw new ArgumentException(
                $"LRP's {spec} rule computes with modified weights, which is supported on Linear, Conv1d/2d/3d (zero padding) and affine " +
                $"BatchNorm1d/2d/3d layers, not on {ModuleTree.Describe(path, module)}.",
                "rules");
    }

    private Tensor Modify(Tensor weight) => Spec.Kind switch
    {
        LrpRuleKind.Gamma => weight + Spec.GammaFactor * weight.clamp(min: 0),
        LrpRuleKind.Alpha1Beta0 => weight.clamp(min: 0),
        _ => weight,
    };

    private Tensor? Bias(Tensor? bias) =>
        bias is null || bias.IsInvalid ? null : Spec.SetsBiasToZero ? zeros_like(bias) : bias.detach();

    /// <summary>The layer's forward with modified copies of its weights, differentiable in <paramref name="x"/> only.</summary>
    private Tensor ModifiedForward(RuleCall call, Tensor x)
    {
        switch (call.Module)
        {
            case Linear linear:
                return nn.functional.linear(x, Modify(linear.weight.detach()), Bias(linear.bias));
            case Conv1d c1:
            {
                var w = Modify(c1.weight.detach());
                return c1.padding_type is { } pt1
                    ? nn.functional.conv1d_padding(x, w, Bias(c1.bias), c1.stride[0], pt1, c1.dilation[0], c1.groups)
                    : nn.functional.conv1d(x, w, Bias(c1.bias), c1.stride[0], c1.padding?[0], c1.dilation[0], c1.groups);
            }
            case Conv2d c2:
            {
                var w = Modify(c2.weight.detach());
                return c2.padding_type is { } pt2
                    ? nn.functional.conv2d_padding(x, w, Bias(c2.bias), c2.stride, pt2, c2.dilation, c2.groups)
                    : nn.functional.conv2d(x, w, Bias(c2.bias), c2.stride, c2.padding, c2.dilation, c2.groups);
            }
            case Conv3d c3:
            {
                var w = Modify(c3.weight.detach());
                return c3.padding_type is { } pt3
                    ? nn.functional.conv3d_padding(x, w, Bias(c3.bias), c3.stride, pt3, c3.dilation, c3.groups)
                    : nn.functional.conv3d(x, w, Bias(c3.bias), c3.stride, c3.padding, c3.dilation, c3.groups);
            }
            case BatchNorm bn:
            {
                // Copies of the running statistics, so that a module in training mode is not updated either.
                bool useBatchStats = bn.training || (bn.running_mean is null && bn.running_var is null);
                bool useRunning = !bn.training || bn.track_running_stats;
                var mean = useRunning ? bn.running_mean?.detach().clone() : null;
                var variance = useRunning ? bn.running_var?.detach().clone() : null;
                return nn.functional.batch_norm(x, mean, variance, Modify(bn.weight.detach()), Bias(bn.bias), useBatchStats, 0.0, bn.eps);
            }
            default:
                throw new InvalidOperationException("unreachable: checked by CheckApplicable");
        }
    }
}

/// <summary>
/// LRP on ReLU, Tanh and Dropout (Captum's <c>backward_hook_activation</c>): relevance passes through unchanged,
/// the activation's derivative is ignored.
/// </summary>
internal sealed class LrpPassThroughRule : GradientRule
{
    public static LrpPassThroughRule Instance { get; } = new();

    public override bool NeedsGradOutput => true;

    public override Tensor InputGradient(RuleCall call, int index, Tensor gradient) => call.GradOutput!;
}
