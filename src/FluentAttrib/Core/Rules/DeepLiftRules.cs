using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FluentAttrib.Core.Rules;

/// <summary>
/// DeepLift's rules (Captum's <c>SUPPORTED_NON_LINEAR</c>). They run on a batch of 2B rows: the B inputs, then
/// their B baselines; Δ = input half − baseline half, repeated for both halves.
/// </summary>
internal abstract class DeepLiftRule : GradientRule
{
    protected DeepLiftRule(double eps) => Eps = eps;

    public double Eps { get; }

    public override bool NeedsInputs => true;
    public override bool NeedsOutput => true;
    public override bool NeedsGradOutput => true;

    /// <summary>The rule for <paramref name="module"/>, or null when DeepLift treats it as linear.</summary>
    public static GradientRule? For(nn.Module module, double eps, bool captumQuirks) => module switch
    {
        ReLU or ELU or LeakyReLU or Sigmoid or Tanh or Softplus => new Rescale(eps),
        Softmax => new SoftmaxRule(eps),
        MaxPool1d or MaxPool2d or MaxPool3d => new MaxPoolRule(eps, captumQuirks),
        _ => null,
    };

    /// <summary>
    /// Known nonlinear module types that DeepLift has no rule for; Captum silently treats them as linear.
    /// </summary>
    public static bool IsUnsupportedNonlinearity(nn.Module module) => module.GetType().Name is
        "GELU" or "SiLU" or "Mish" or "ReLU6" or "Hardtanh" or "Hardswish" or "Hardsigmoid" or "PReLU" or "RReLU" or "SELU"
        or "CELU" or "LogSigmoid" or "LogSoftmax" or "Softmin" or "Softmax2d" or "Softsign" or "Softshrink" or "Hardshrink"
        or "Tanhshrink" or "Threshold" or "GLU" or "AdaptiveMaxPool1d" or "AdaptiveMaxPool2d" or "AdaptiveMaxPool3d"
        or "FractionalMaxPool2d" or "FractionalMaxPool3d" or "LPPool1d" or "LPPool2d";

    protected static Tensor Twice(Tensor halfDelta) => cat([halfDelta, halfDelta], 0);

    /// <summary>(Δin, Δout), each repeated for both halves.</summary>
    protected static (Tensor In, Tensor Out) Deltas(RuleCall call)
    {
        var x = call.Inputs[0];
        var y = call.Output!;
        var (xi, xb) = Halves(x, call);
        var (yi, yb) = Halves(y, call);
        return (Twice(xi - xb), Twice(yi - yb));
    }

    protected static (Tensor Input, Tensor Baseline) Halves(Tensor t, RuleCall call)
    {
        long n = t.shape[0];
        if (n % 2 != 0)
            throw new InvalidOperationException(
                $"DeepLift expected {ModuleTree.Describe(call.Path, call.Module)} to see inputs and baselines stacked along dimension 0, but it got {n} rows.");
        return (t[..(int)(n / 2)], t[(int)(n / 2)..]);
    }

    /// <summary>Captum's rescale rule: grad_out·Δout/Δin, or the plain gradient where |Δin| &lt; eps.</summary>
    protected Tensor Rescaled(RuleCall call, Tensor gradient)
    {
        var (dIn, dOut) = Deltas(call);
        return where(dIn.abs() < Eps, gradient, call.GradOutput! * dOut / dIn);
    }

    private sealed class Rescale(double eps) : DeepLiftRule(eps)
    {
        public override Tensor InputGradient(RuleCall call, int index, Tensor gradient) => Rescaled(call, gradient);
    }

    /// <summary>Rescale, then minus the mean of the multipliers over the whole (2B × …) tensor, as Captum does.</summary>
    private sealed class SoftmaxRule(double eps) : DeepLiftRule(eps)
    {
        public override Tensor InputGradient(RuleCall call, int index, Tensor gradient)
        {
            var m = Rescaled(call, gradient);
            return m - m.sum() / gradient.numel();
        }
    }

    /// <summary>
    /// Captum's max-pool rule: Δout = (max(o, o_b) − o_b) routed to the input's argmax plus (o − max(o, o_b)) routed
    /// to the baseline's argmax, over Δin; where |Δin| &lt; eps the plain gradient. With <c>captumQuirks</c> the
    /// fallback is the plain gradient of the first example for every example (Captum indexes
    /// <c>grad_input[0]</c> on a tensor), otherwise each example's own.
    /// </summary>
    private sealed class MaxPoolRule(double eps, bool captumQuirks) : DeepLiftRule(eps)
    {
        public override Tensor InputGradient(RuleCall call, int index, Tensor gradient)
        {
            var x = call.Inputs[0];
            var y = call.Output!;
            if (!gradient.shape.SequenceEqual(x.shape))
                throw new InvalidOperationException(
                    $"DeepLift's max-pool rule on {ModuleTree.Describe(call.Path, call.Module)} got a gradient of shape {Shapes.Format(gradient.shape)} for an input of shape {Shapes.Format(x.shape)}.");
            var (xi, xb) = Halves(x, call);
            var (yi, yb) = Halves(y, call);
            var dIn = Twice(xi - xb);
            var crossMax = maximum(yi, yb);
            var dOut = cat([crossMax - yb, yi - crossMax], 0);
            var spread = Unpool(call.Module, call.GradOutput! * dOut, x);
            var (si, sb) = Halves(spread, call);
            var multipliers = Twice(si + sb) / dIn;
            var fallback = captumQuirks ? gradient[0] : gradient;
            return where(dIn.abs() < Eps, fallback, multipliers);
        }

        /// <summary>
        /// max_unpool of <paramref name="values"/> at the argmax positions of <paramref name="input"/>: with
        /// Captum's quirks a plain write (where overlapping windows share an argmax the last one wins, as
        /// <c>max_unpool</c> does), otherwise a sum (the true gradient routing).
        /// </summary>
        private Tensor Unpool(nn.Module module, Tensor values, Tensor input)
        {
            var indices = module switch
            {
                MaxPool1d p1 => p1.forward_with_indices(input).Indices,
                MaxPool2d p2 => p2.forward_with_indices(input).Indices,
                MaxPool3d p3 => p3.forward_with_indices(input).Indices,
                _ => throw new InvalidOperationException("not a max pool: " + module.GetType().Name),
            };
            if (input.dim() < 3)
                throw new InvalidOperationException(
                    $"DeepLift's max-pool rule needs batched input (N, C, ...) but {module.GetType().Name} got shape {Shapes.Format(input.shape)}.");
            var plane = zeros([input.shape[0], input.shape[1], Shapes.Product(input.shape.AsSpan(2))], dtype: values.dtype, device: values.device);
            var flatIndices = indices.flatten(2);
            var flatValues = values.flatten(2);
            var spread = captumQuirks ? plane.scatter_(2, flatIndices, flatValues) : plane.scatter_add_(2, flatIndices, flatValues);
            return spread.reshape(input.shape);
        }
    }
}
