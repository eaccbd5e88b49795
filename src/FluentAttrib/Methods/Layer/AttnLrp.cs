using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using FluentAttrib.Core.Rules;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// LRP for transformers: AttnLRP (Achtibat et al., 2024, "AttnLRP: Attention-Aware Layer-Wise Relevance Propagation
/// for Transformers") or, with <see cref="DetachAttention"/>, CP-LRP (Ali et al., 2022, "XAI for Transformers: Better
/// Explanations through Conservative Propagation"). Relevance of a layer = its activation × the gradient of the target
/// computed with the rules of each module type: identity rule for GELU/SiLU, constant standard deviation in LayerNorm,
/// constant norm in <see cref="Architectures.L2Normalization"/>, uniform (½, ½) rule for products of two relevant
/// factors (<see cref="Architectures.MatrixProduct"/>), softmax kept (AttnLRP) or treated as constant (CP-LRP), LRP-0
/// (the plain gradient) for linear layers, embeddings and additions. The model's forward values are unchanged.
/// </summary>
/// <remarks>
/// <para>Attribute token ids through the embeddings: <c>Explain(model).For(t).AtInputOf("embeddings.LayerNorm")</c>
/// gives the relevance of the summed word, position and type embeddings (the quantity conservation is stated for);
/// <c>At("embeddings.word_embeddings")</c> the word embeddings' share. Sum over the last dimension for one value per
/// token. Relevance is not exactly conserved: biases of linear layers and LayerNorms absorb some
/// (<see cref="MethodSettingExtensions.ReturnDelta{TMethod}"/> reports F − Σ relevance). The rules act on
/// <c>GELU</c>, <c>SiLU</c>, <c>LayerNorm</c>, <c>Softmax</c>, <see cref="Architectures.MatrixProduct"/> and
/// <see cref="Architectures.L2Normalization"/> modules: a model that applies them functionally
/// (as Hugging Face ports usually do) gets plain gradient × activation there; <see cref="Architectures.ExplainableBert"/>
/// has each as a module. Not in Captum; the reference is LXT (rachtibat/LRP-eXplains-Transformers).</para>
/// </remarks>
public sealed record AttnLrp : MultiLayerAttributionMethod, IDeltaSetting
{
    private AttnLrp(SettingValues values) : base(values) { }

    /// <summary>AttnLRP's rules, no delta.</summary>
    public static AttnLrp Default { get; } = new(new SettingValues());

    /// <summary>CP-LRP: <c>Default.DetachAttention()</c>.</summary>
    public static AttnLrp ConservativePropagation { get; } = Default.DetachAttention();

    /// <summary>The method's settings, read back by name (<c>Settings.DetachAttention</c>, <c>Settings.ReturnDelta</c>).</summary>
    public MethodSettings<AttnLrp> Settings => new(Values);

    /// <summary>
    /// Treats the attention probabilities as constants (true: CP-LRP, Ali et al. 2022), so no relevance flows into
    /// queries and keys; false (the default) keeps AttnLRP's softmax rule.
    /// </summary>
    public AttnLrp DetachAttention(bool detach = true) => this with { Values = Values with { DetachAttention = detach } };

    /// <inheritdoc />
    public override string Name => "AttnLRP";

    /// <inheritdoc />
    public override string Describe() => Values.DetachAttention ? "CP-LRP" : Name;

    internal override Attribution Attribute(LayerContext context)
    {
        using var scope = NewDisposeScope();
        var run = context.Run;
        var model = run.Forward.Module ?? throw new ArgumentException(
            $"{Name} puts rules on the model's modules: explain an nn.Module (Explain(model)), not a plain forward function.", "model");
        var owner = new HookOwner();
        var removers = TransformerRules.Install(model, Values.DetachAttention, owner);
        Tensor[] grads, values;
        Tensor selected;
        try
        {
            using (owner.Enter())
                (grads, values, selected) = LayerProbe.Gradients(run, run.Inputs, context.Layers, context.ToInput, run.Target);
        }
        finally
        {
            for (int i = removers.Count - 1; i >= 0; i--) removers[i]();
        }
        run.Report(Name, 1, 1);
        var relevance = grads.Select((g, i) => (g * values[i]).MoveToOuterDisposeScope()).ToArray();
        Tensor? delta = null;
        if (Values.ReturnDelta)
        {
            long batch = run.BatchSize;
            var sum = relevance.Select(r => r.reshape(batch, -1).sum(dim: 1)).Aggregate((a, b) => a + b);
            delta = (selected.reshape(batch).to(sum.dtype) - sum).MoveToOuterDisposeScope();
        }
        return Result(context, relevance, delta);
    }
}
