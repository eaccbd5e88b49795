using FluentAttrib.Architectures;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FluentAttrib.Core.Rules;

/// <summary>
/// The rules of LRP and LayerLRP: those set by layer and by module type, Captum's defaults for the rest, hooked onto
/// every leaf of the model for one attribution.
/// </summary>
internal static class LrpRuleSet
{
    /// <summary>The method's name followed by the rules set by layer and by module type, if any.</summary>
    public static string Describe(string name, SettingValues values) =>
        values.LayerRules.IsEmpty && values.TypeRules.IsEmpty ? name :
        name + "(" + string.Join(", ", values.LayerRules.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}: {p.Value}")
            .Concat(values.TypeRules.OrderBy(p => p.Key.FullName, StringComparer.Ordinal).Select(p => $"{p.Key.Name}: {p.Value}"))) + ")";

    /// <summary>Captum's default rule of a module type: a layer rule, pass-through (null rule, true), or none.</summary>
    private static (LrpRule? Rule, bool PassThrough) DefaultFor(nn.Module module) => module switch
    {
        MaxPool1d or MaxPool2d or MaxPool3d or Conv2d or AvgPool2d or AdaptiveAvgPool2d or Linear or BatchNorm2d or Addition
            => (LrpRule.Epsilon(), false),
        ReLU or Dropout or Tanh => (null, true),
        _ => (null, false),
    };

    /// <summary>Hooks a rule onto every leaf of the model; throws naming the first layer without one.</summary>
    public static RuleSession Open(AttributionContext ctx, string method, IReadOnlyDictionary<string, LrpRule> layerRules,
        IReadOnlyDictionary<Type, LrpRule> typeRules)
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
}
