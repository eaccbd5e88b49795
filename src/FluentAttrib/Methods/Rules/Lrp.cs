using FluentAttrib.Core;
using FluentAttrib.Core.Rules;
using FluentAttrib.Architectures;
using TorchSharp;
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
/// set with <see cref="MethodSettingExtensions.Rule{TMethod}(TMethod, Layer, LrpRule)"/> or <see cref="Rule{TModule}(LrpRule)"/>; without one the attribution
/// throws an <see cref="ArgumentException"/> that names the layer. Operations outside modules pass relevance as
/// their gradient does (right for reshapes, concatenations and sums).</para>
/// <para>Rules are applied for one attribution only, through hooks that are removed afterwards; rules that modify
/// weights compute with copies, so the model is never changed (Captum mutates the weights and reloads them).
/// Every module with a rule must be called once per forward pass. The delta is F(x) − Σ relevance (Captum's sign):
/// relevance absorbed by biases and ε.</para>
/// </remarks>
public sealed record Lrp : AttributionMethod, ILrpRuleSetting, IDeltaSetting
{
    private Lrp() : base(new SettingValues()) { }

    /// <summary>Captum's default rules (no rule set by layer or module type), no delta.</summary>
    public static Lrp Default { get; } = new();

    /// <summary>The method's settings, read back by name (<c>Settings.LayerRules</c>, <c>Settings.TypeRules</c>, <c>Settings.ReturnDelta</c>).</summary>
    public MethodSettings<Lrp> Settings => new(Values);

    /// <summary>
    /// Uses <paramref name="rule"/> on every leaf module of type <typeparamref name="TModule"/> without a rule of its
    /// own (set by layer with <see cref="MethodSettingExtensions.Rule{TMethod}(TMethod, Layer, LrpRule)"/>), replacing
    /// the type's default. Read back as <c>Settings.TypeRules</c>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="rule"/> is null.</exception>
    public Lrp Rule<TModule>(LrpRule rule) where TModule : nn.Module => MethodSettingExtensions.TypeRule(this, typeof(TModule), rule);

    /// <inheritdoc />
    public override string Name => "LRP";

    /// <inheritdoc />
    public override string Describe() => LrpRuleSet.Describe(Name, Values);

    internal override Attribution Attribute(AttributionContext context)
    {
        using var scope = NewDisposeScope();
        Tensor[] grads;
        Tensor output;
        using (var session = LrpRuleSet.Open(context, Name, Values.LayerRules, Values.TypeRules))
        {
            context.ThrowIfCancelled();
            (grads, output) = session.Run(() => Gradients.Compute(context, context.Inputs, context.Target));
        }
        context.Report(Name, 1, 1);
        var values = grads.Select(g => (g * output.reshape([-1, .. Enumerable.Repeat(1L, (int)g.dim() - 1)])).MoveToOuterDisposeScope()).ToArray();
        Tensor? delta = null;
        if (Values.ReturnDelta)
        {
            long batch = context.BatchSize;
            var sum = values.Select(v => v.reshape(batch, -1).sum(dim: 1)).Aggregate((a, b) => a + b);
            delta = (output.to(sum.dtype) - sum).MoveToOuterDisposeScope();
        }
        return Result(context, values, delta);
    }
}
