using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FluentAttrib.Core.Rules;

/// <summary>
/// Guided backpropagation's and deconvolution's rule on ReLU modules (Captum's
/// <c>ModifiedReluGradientAttribution</c>): the gradient passed to the ReLU's input is relu(standard ReLU backward)
/// (guided) or relu(gradient at the ReLU output) (deconvolution). Stateless per call, so a ReLU module used several
/// times is handled call by call.
/// </summary>
internal sealed class ModifiedReluRule(bool useGradOutput) : GradientRule
{
    public override bool SingleUse => false;

    public override bool NeedsGradOutput => useGradOutput;

    public override Tensor InputGradient(RuleCall call, int index, Tensor gradient) =>
        nn.functional.relu(useGradOutput ? call.GradOutput! : gradient);

    /// <summary>Hooks the rule onto every ReLU module of the model.</summary>
    public static RuleSession Open(AttributionContext ctx, string method, bool useGradOutput)
    {
        var model = ctx.Forward.Module ?? throw new ArgumentException(
            $"{method} modifies the backward pass of the model's ReLU modules, so it needs the model itself: use Explain(module) rather than Explain(function).",
            "model");
        var tree = ModuleTree.Of(model);
        tree.RejectFunctionalActivations(method);
        var session = new RuleSession(tree, method, reproduceCaptumHookOrder: true);
        var rule = new ModifiedReluRule(useGradOutput);
        foreach (var (module, _) in tree.Modules)
            if (module is ReLU) session.Attach(module, rule);
        return session;
    }

    /// <summary>Gradients of the target with respect to the inputs with every ReLU module's backward modified.</summary>
    public static Tensor[] Gradients(AttributionContext ctx, string method, bool useGradOutput)
    {
        using var session = Open(ctx, method, useGradOutput);
        ctx.ThrowIfCancelled();
        var (grads, _) = session.Run(() => Core.Gradients.Compute(ctx, ctx.Inputs, ctx.Target));
        return grads;
    }
}
