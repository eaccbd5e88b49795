using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Core.Rules;

/// <summary>
/// How gradients pass through one module during one attribution. A <see cref="RuleSession"/> applies it through
/// forward hooks: the module's inputs go through an identity autograd function whose backward calls
/// <see cref="InputGradient"/>, its output through one whose backward calls <see cref="OutputGradient"/>; in
/// between, the module's own backward runs (unless <see cref="GradientPath"/> supplies another path).
/// This mirrors the tensor hooks Captum puts on a module's input and output.
/// Rules are stateless: what one module call needs is kept in its <see cref="RuleCall"/>.
/// </summary>
internal abstract class GradientRule
{
    /// <summary>
    /// Whether one module may be called only once per forward pass (Captum keeps per-module state for these rules
    /// and mishandles reuse); a second call throws an <see cref="ArgumentException"/> naming the module.
    /// </summary>
    public virtual bool SingleUse => true;

    /// <summary>
    /// Whether the rule stands for a Captum <c>_register_backward_hook</c> pair (a tensor hook on the module input
    /// and one on its output). When two such modules are chained directly, Captum's producer records the gradient
    /// of their shared tensor before the consumer's input hook replaces it; the session reproduces that when asked.
    /// </summary>
    public virtual bool IsCaptumBackwardHook => true;

    /// <summary>Whether <see cref="RuleCall.Inputs"/> is recorded (detached copies of the module inputs).</summary>
    public virtual bool NeedsInputs => false;

    /// <summary>Whether <see cref="RuleCall.Output"/> is recorded (a detached copy of the module output).</summary>
    public virtual bool NeedsOutput => false;

    /// <summary>Whether <see cref="RuleCall.GradOutput"/> is recorded during backward.</summary>
    public virtual bool NeedsGradOutput => false;

    /// <summary>
    /// Forward: a tensor computed from the (hooked) module inputs through which the gradient should flow instead of
    /// the module's own graph, with the value of the module output; null keeps the module's graph.
    /// </summary>
    public virtual Tensor? GradientPath(RuleCall call, Tensor[] hookedInputs, Tensor output) => null;

    /// <summary>Backward, at the module output: the gradient that enters the module's own backward.</summary>
    public virtual Tensor OutputGradient(RuleCall call, Tensor gradient) => gradient;

    /// <summary>
    /// Backward, at module input <paramref name="index"/>: the gradient passed on, given the module's own backward
    /// result <paramref name="gradient"/> (Captum's <c>grad_input</c>) and <see cref="RuleCall.GradOutput"/>.
    /// </summary>
    public abstract Tensor InputGradient(RuleCall call, int index, Tensor gradient);
}

/// <summary>What one call of a hooked module recorded, for its rule's backward.</summary>
internal sealed class RuleCall
{
    internal RuleCall(RuleSession session, RuleBinding binding, int inputCount)
    {
        Session = session;
        Binding = binding;
        Upstream = new RuleCall?[inputCount];
    }

    public RuleSession Session { get; }

    internal RuleBinding Binding { get; }

    public GradientRule Rule => Binding.Rule;

    public nn.Module Module => Binding.Module;

    /// <summary>The module's path in the model ("" for the root).</summary>
    public string Path => Binding.Path;

    /// <summary>Detached copies of the module inputs (when the rule needs them).</summary>
    public Tensor[] Inputs { get; internal set; } = [];

    /// <summary>A detached copy of the module output (or of the rule's <see cref="GradientRule.GradientPath"/>).</summary>
    public Tensor? Output { get; internal set; }

    /// <summary>The gradient that reached the module output (Captum's <c>grad_output</c>), once backward got there.</summary>
    public Tensor? GradOutput { get; internal set; }

    /// <summary>Set when a directly chained consumer recorded <see cref="GradOutput"/> (Captum's hook order).</summary>
    internal bool GradOutputPinned { get; set; }

    /// <summary>Per input, the call of a Captum-style rule that produced it directly, if any.</summary>
    internal RuleCall?[] Upstream { get; }

    /// <summary>Rule-specific data computed in forward.</summary>
    public object? Data { get; set; }

    /// <summary>Keeps a detached copy of <paramref name="t"/> until the pass ends.</summary>
    public Tensor Keep(Tensor t, bool copy = true) => Session.Keep(copy ? t.detach().clone() : t.detach());
}
