using static TorchSharp.torch;

namespace FluentAttrib.Core.Rules;

/// <summary>
/// Identity on a module input; its backward hands the gradient to the rule (<see cref="GradientRule.InputGradient"/>).
/// Arguments: the input tensor, the <see cref="RuleCall"/>, the input's index.
/// </summary>
internal sealed class RuleInputFunction : autograd.SingleTensorFunction<RuleInputFunction>
{
    public override string Name => "FluentAttribRuleInput";

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        ctx.save_data("call", vars[1]);
        ctx.save_data("index", vars[2]);
        ctx.set_materialize_grads(false);
        return ((Tensor)vars[0]).detach();
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        var call = (RuleCall)ctx.get_data("call");
        int index = (int)ctx.get_data("index");
        if (index == 0) call.Session.CountBackward(call);
        return [call.Session.Guard(call, grad_output, g =>
        {
            if (call.Session.ReproduceCaptumHookOrder && call.Rule.IsCaptumBackwardHook && call.Upstream[index] is { } producer)
            {
                // Captum: the producer's output hook was registered on this very tensor before our input hook,
                // so it saw the gradient before this rule replaced it.
                producer.GradOutput = call.Keep(g);
                producer.GradOutputPinned = true;
            }
            // Captum: when no gradient reached the module output (e.g. a neuron selected at the module's input),
            // its backward hook changes nothing.
            if (call.Rule.IsCaptumBackwardHook && call.Rule.NeedsGradOutput && call.GradOutput is null) return g;
            return call.Rule.InputGradient(call, index, g);
        }), null!, null!];
    }
}

/// <summary>
/// Identity on a module output (or, with a value given, a tensor with that value whose gradient flows into the
/// path); its backward records the gradient and hands it to the rule (<see cref="GradientRule.OutputGradient"/>).
/// Arguments: the gradient path, the <see cref="RuleCall"/>, the value (a tensor or null).
/// </summary>
internal sealed class RuleOutputFunction : autograd.SingleTensorFunction<RuleOutputFunction>
{
    public override string Name => "FluentAttribRuleOutput";

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        ctx.save_data("call", vars[1]);
        ctx.set_materialize_grads(false);
        var source = vars[2] as Tensor ?? (Tensor)vars[0];
        return source.detach();
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        var call = (RuleCall)ctx.get_data("call");
        return [call.Session.Guard(call, grad_output, g =>
        {
            if (call.Rule.NeedsGradOutput && !call.GradOutputPinned) call.GradOutput = call.Keep(g);
            return call.Rule.OutputGradient(call, g);
        }), null!, null!];
    }
}
