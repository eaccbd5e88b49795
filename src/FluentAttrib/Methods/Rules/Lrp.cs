using System.Collections.Immutable;
using FluentAttrib.Core;
using FluentAttrib.Core.Rules;
using FluentAttrib.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Layer-wise relevance propagation (Bach et al., 2015): the target output's value is redistributed backwards,
/// layer by layer, by propagation rules, down to the inputs. Equal to Captum's <c>LRP</c>.
/// </summary>
/// <remarks>
/// <para>Every leaf module (a module without children) needs a rule. Defaults, as Captum's: the ε-rule (ε = 1e-9) on
/// Linear, Conv2d, MaxPool1d/2d/3d, AvgPool2d, AdaptiveAvgPool2d, BatchNorm2d and <see cref="Addition"/>; ReLU, Tanh
/// and Dropout pass relevance through unchanged. Other layers (Flatten, Sigmoid, Softmax, Embedding, ...) need a rule
/// set with <see cref="Rule(Layer, LrpRule)"/> or <see cref="Rule{TModule}(LrpRule)"/>; without one the attribution
/// throws an <see cref="ArgumentException"/> that names the layer. Operations outside modules pass relevance as
/// their gradient does (right for reshapes, concatenations and sums).</para>
/// <para>Rules are applied for one attribution only, through hooks that are removed afterwards; rules that modify
/// weights compute with copies, so the model is never changed (Captum mutates the weights and reloads them).
/// Every module with a rule must be called once per forward pass. The delta is F(x) − Σ relevance (Captum's sign):
/// relevance absorbed by biases and ε.</para>
/// </remarks>
public sealed record Lrp : AttributionMethod
{
    private Lrp() { }

    /// <summary>Captum's default rules, no delta.</summary>
    public static Lrp Default { get; } = new();

    /// <summary>Rules set for layers by path (they take precedence over <see cref="TypeRules"/>). <value>The default value is empty.</value></summary>
    public ImmutableDictionary<string, LrpRule> LayerRules { get; private init; } = ImmutableDictionary<string, LrpRule>.Empty.WithComparers(StringComparer.Ordinal);

    /// <summary>Rules set for every layer of a module type (they take precedence over the defaults). <value>The default value is empty.</value></summary>
    public ImmutableDictionary<Type, LrpRule> TypeRules { get; private init; } = ImmutableDictionary<Type, LrpRule>.Empty;

    /// <summary>Whether the convergence delta F(x) − Σ relevance is computed. <value>The default value is false.</value></summary>
    public bool ReturnsDelta { get; private init; }

    /// <summary>
    /// Uses <paramref name="rule"/> on the leaf module at <paramref name="layer"/> (a dotted path such as
    /// <c>"flatten"</c> or <c>"layer1.0.conv1"</c>), replacing its default. Checked against the model when attributing.
    /// </summary>
    /// <exception cref="ArgumentException">The layer path is empty (the model itself).</exception>
    public Lrp Rule(Layer layer, LrpRule rule)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(rule);
        if (layer.Path.Length == 0) throw new ArgumentException("Give the path of a layer inside the model, not the model itself.", nameof(layer));
        return this with { LayerRules = LayerRules.SetItem(layer.Path, rule) };
    }

    /// <summary>Uses <paramref name="rule"/> on every leaf module of type <typeparamref name="TModule"/> without a rule of its own.</summary>
    public Lrp Rule<TModule>(LrpRule rule) where TModule : nn.Module
    {
        ArgumentNullException.ThrowIfNull(rule);
        return this with { TypeRules = TypeRules.SetItem(typeof(TModule), rule) };
    }

    /// <summary>Also computes the convergence delta F(x) − Σ relevance per example.</summary>
    public Lrp WithDelta(bool delta = true) => this with { ReturnsDelta = delta };

    /// <inheritdoc />
    public override string Name => "LRP";

    /// <inheritdoc />
    public override string Describe() =>
        LayerRules.IsEmpty && TypeRules.IsEmpty ? "LRP" :
        "LRP(" + string.Join(", ", LayerRules.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}: {p.Value}")
            .Concat(TypeRules.Select(p => $"{p.Key.Name}: {p.Value}"))) + ")";

    /// <summary>Captum's default rule of a module type: a layer rule, pass-through (null rule, true), or none.</summary>
    private static (LrpRule? Rule, bool PassThrough) DefaultFor(nn.Module module) => module switch
    {
        MaxPool1d or MaxPool2d or MaxPool3d or Conv2d or AvgPool2d or AdaptiveAvgPool2d or Linear or BatchNorm2d or Addition
            => (LrpRule.Epsilon(), false),
        ReLU or Dropout or Tanh => (null, true),
        _ => (null, false),
    };

    /// <summary>Hooks a rule onto every leaf of the model; throws naming the first layer without one.</summary>
    internal RuleSession Open(AttributionContext ctx) => Open(ctx, Name, LayerRules, TypeRules);

    /// <inheritdoc cref="Open(AttributionContext)" />
    internal static RuleSession Open(AttributionContext ctx, string method, ImmutableDictionary<string, LrpRule> layerRules,
        ImmutableDictionary<Type, LrpRule> typeRules)
    {
        var model = ctx.Forward.Module ?? throw new ArgumentException(
            $"{method} puts rules on the model's layers, so it needs the model itself: use Explain(module) rather than Explain(function).", "model");
        var tree = ModuleTree.Of(model);
        tree.RejectFunctionalActivations(method);
        var leaves = tree.Leaves().ToList();
        var leafSet = leaves.Select(l => l.Module).ToHashSet(ReferenceEqualityComparer.Instance);
        foreach (var path in layerRules.Keys.Order(StringComparer.Ordinal))
        {
            var module = tree.Resolve(new Layer(path), "rules");
            if (!leafSet.Contains(module))
                throw new ArgumentException(
                    $"LRP rules apply to layers without children, but {tree.Describe(module)} has children; set rules on its layers instead.", "rules");
        }
        var plan = new List<(nn.Module Module, GradientRule Rule)>();
        foreach (var (module, path) in leaves)
        {
            LrpRule? rule = layerRules.TryGetValue(path, out var byPath) ? byPath : typeRules.TryGetValue(module.GetType(), out var byType) ? byType : null;
            bool passThrough = false;
            if (rule is null) (rule, passThrough) = DefaultFor(module);
            if (rule is null && !passThrough && RuleSupport.IsShapeOnly(module)) continue; // relevance flows through a reshape as the gradient does
            if (rule is not null)
            {
                LrpLayerRule.CheckApplicable(rule, module, path);
                plan.Add((module, new LrpLayerRule(rule)));
            }
            else if (passThrough) plan.Add((module, LrpPassThroughRule.Instance));
            else throw RuleSupport.NoLrpRule(method, path, module);
        }
        var session = new RuleSession(tree, method, reproduceCaptumHookOrder: true);
        try
        {
            foreach (var (module, rule) in plan) session.Attach(module, rule);
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    internal override Attribution Attribute(AttributionContext context)
    {
        using var scope = NewDisposeScope();
        Tensor[] grads;
        Tensor output;
        using (var session = Open(context))
        {
            context.ThrowIfCancelled();
            (grads, output) = session.Run(() => Gradients.Compute(context, context.Inputs, context.Target));
        }
        context.Report(Name, 1, 1);
        var values = grads.Select(g => (g * output.reshape([-1, .. Enumerable.Repeat(1L, (int)g.dim() - 1)])).MoveToOuterDisposeScope()).ToArray();
        Tensor? delta = null;
        if (ReturnsDelta)
        {
            long batch = context.BatchSize;
            var sum = values.Select(v => v.reshape(batch, -1).sum(dim: 1)).Aggregate((a, b) => a + b);
            delta = (output.to(sum.dtype) - sum).MoveToOuterDisposeScope();
        }
        return Result(context, values, delta);
    }
}
