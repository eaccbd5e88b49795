using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using FluentAttrib.Core.Rules;
using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Layer-wise relevance propagation to a layer: the relevance that reaches the layer's output (or, with
/// <c>AtInputOf</c>, leaves through its input) when the target output's value is propagated back with
/// <see cref="Lrp"/>'s rules. Equal to Captum's <c>LayerLRP</c>. The layer must be one with a propagation rule (not
/// a ReLU, Tanh or Dropout, which only pass relevance on). The delta is F(x) − Σ layer relevance.
/// </summary>
public sealed record LayerLrp : LayerAttributionMethod, ILrpRuleSetting, IDeltaSetting
{
    private LayerLrp() : base(new SettingValues()) { }

    /// <summary>Captum's default rules (no rule set by layer or module type), no delta.</summary>
    public static LayerLrp Default { get; } = new();

    /// <summary>The method's settings, read back by name (<c>Settings.LayerRules</c>, <c>Settings.TypeRules</c>, <c>Settings.ReturnDelta</c>).</summary>
    public MethodSettings<LayerLrp> Settings => new(Values);

    /// <summary>
    /// Uses <paramref name="rule"/> on every leaf module of type <typeparamref name="TModule"/> without a rule of its
    /// own (see <see cref="Lrp.Rule{TModule}(LrpRule)"/>). Read back as <c>Settings.TypeRules</c>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="rule"/> is null.</exception>
    public LayerLrp Rule<TModule>(LrpRule rule) where TModule : nn.Module => MethodSettingExtensions.TypeRule(this, typeof(TModule), rule);

    /// <inheritdoc />
    public override string Name => "LayerLRP";

    /// <inheritdoc />
    public override string Describe() => LrpRuleSet.Describe(Name, Values);

    internal override Attribution Attribute(LayerContext context)
    {
        var run = context.Run;
        using var scope = NewDisposeScope();
        var owner = CurrentDisposeScope;
        Tensor? relevance = null;
        Tensor output;
        using (var session = LrpRuleSet.Open(run, Name, Values.LayerRules, Values.TypeRules))
        {
            var layerModule = context.Layer.Module;
            var binding = session.Bindings.FirstOrDefault(b => ReferenceEquals(b.Module, layerModule));
            if (binding?.Rule is not LrpLayerRule rule)
                throw new ArgumentException(
                    $"LayerLRP reads the relevance at a layer with a propagation rule, but layer {context.Layer} " +
                    $"({layerModule.GetType().Name}) {(binding is null ? "has no rule (it has children, or is the model itself)" : "only passes relevance on")}; choose a layer such as a Linear or Conv2d.",
                    "layer");
            void Observe(Tensor r) => relevance = Keep(r.detach().clone(), owner);
            if (context.ToInput) rule.InputRelevanceObserved = (_, r) => Observe(r);
            else rule.OutputRelevanceObserved = Observe;
            run.ThrowIfCancelled();
            (_, output) = session.Run(() => Gradients.Compute(run, run.Inputs, run.Target));
        }
        run.Report(Name, 1, 1);
        if (relevance is null)
            throw new InvalidOperationException($"No relevance reached layer {context.Layer}: the target output does not depend on it.");
        var values = relevance * output.reshape([-1, .. Enumerable.Repeat(1L, (int)relevance.dim() - 1)]);
        Tensor? delta = null;
        if (Values.ReturnDelta)
            delta = (output.to(values.dtype) - values.reshape(run.BatchSize, -1).sum(dim: 1)).MoveToOuterDisposeScope();
        return Result(context, [values.MoveToOuterDisposeScope()], delta);
    }

    /// <summary>Moves a tensor made inside a rule's backward (in its own dispose scope) into <paramref name="owner"/>.</summary>
    private static Tensor Keep(Tensor t, DisposeScope? owner) =>
        ReferenceEquals(CurrentDisposeScope, owner) ? t : owner is null ? t.DetachFromDisposeScope() : t.MoveToOtherDisposeScope(owner);
}
