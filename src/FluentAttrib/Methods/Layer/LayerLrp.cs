using System.Collections.Immutable;
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
public sealed record LayerLrp : LayerAttributionMethod
{
    private LayerLrp() { }

    /// <summary>Captum's default rules, no delta.</summary>
    public static LayerLrp Default { get; } = new();

    /// <summary>Rules set for layers by path. <value>The default value is empty.</value></summary>
    public ImmutableDictionary<string, LrpRule> LayerRules { get; private init; } = ImmutableDictionary<string, LrpRule>.Empty.WithComparers(StringComparer.Ordinal);

    /// <summary>Rules set for every layer of a module type. <value>The default value is empty.</value></summary>
    public ImmutableDictionary<Type, LrpRule> TypeRules { get; private init; } = ImmutableDictionary<Type, LrpRule>.Empty;

    /// <summary>Whether the convergence delta F(x) − Σ relevance is computed. <value>The default value is false.</value></summary>
    public bool ReturnsDelta { get; private init; }

    /// <summary>Uses <paramref name="rule"/> on the leaf module at <paramref name="layer"/> (see <see cref="Lrp.Rule(Layer, LrpRule)"/>).</summary>
    /// <exception cref="ArgumentException">The layer path is empty (the model itself).</exception>
    public LayerLrp Rule(Layer layer, LrpRule rule)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(rule);
        if (layer.Path.Length == 0) throw new ArgumentException("Give the path of a layer inside the model, not the model itself.", nameof(layer));
        return this with { LayerRules = LayerRules.SetItem(layer.Path, rule) };
    }

    /// <summary>Uses <paramref name="rule"/> on every leaf module of type <typeparamref name="TModule"/> without a rule of its own.</summary>
    public LayerLrp Rule<TModule>(LrpRule rule) where TModule : nn.Module
    {
        ArgumentNullException.ThrowIfNull(rule);
        return this with { TypeRules = TypeRules.SetItem(typeof(TModule), rule) };
    }

    /// <summary>Also computes the convergence delta F(x) − Σ layer relevance per example.</summary>
    public LayerLrp WithDelta(bool delta = true) => this with { ReturnsDelta = delta };

    /// <inheritdoc />
    public override string Name => "LayerLRP";

    internal override Attribution Attribute(LayerContext context)
    {
        var run = context.Run;
        using var scope = NewDisposeScope();
        var owner = CurrentDisposeScope;
        Tensor? relevance = null;
        Tensor output;
        using (var session = Lrp.Open(run, Name, LayerRules, TypeRules))
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
        if (ReturnsDelta)
            delta = (output.to(values.dtype) - values.reshape(run.BatchSize, -1).sum(dim: 1)).MoveToOuterDisposeScope();
        return Result(context, [values.MoveToOuterDisposeScope()], delta);
    }

    /// <summary>Moves a tensor made inside a rule's backward (in its own dispose scope) into <paramref name="owner"/>.</summary>
    private static Tensor Keep(Tensor t, DisposeScope? owner) =>
        ReferenceEquals(CurrentDisposeScope, owner) ? t : owner is null ? t.DetachFromDisposeScope() : t.MoveToOtherDisposeScope(owner);
}
