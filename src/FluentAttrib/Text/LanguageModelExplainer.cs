using FluentAttrib.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib
{
    public static partial class Fluent
    {
        /// <summary>
        /// Explains what a causal language model generates (Captum's <c>LLMAttribution</c> and
        /// <c>LLMGradientAttribution</c>): <paramref name="model"/> maps token ids (B, L) int64 to next-token logits
        /// (B, L, V), position i predicting token i + 1, positions numbered from 0 on every call.
        /// </summary>
        /// <param name="model">The language model.</param>
        /// <param name="tokenizer">Its tokenizer (targets, generated tokens and their display).</param>
        public static Text.LanguageModelExplainer ExplainLanguageModel(nn.Module<Tensor, Tensor> model, Text.ITextTokenizer tokenizer)
        {
            ArgumentNullException.ThrowIfNull(model);
            ArgumentNullException.ThrowIfNull(tokenizer);
            TorchRuntime.EnsureLoaded();
            return new(new Text.LanguageModelScorer(model, ids => model.call(ids), $"language model {model.GetName()}"), tokenizer);
        }

        /// <summary>
        /// Explains a language model whose forward takes more than the ids (an attention mask, a cache, a result
        /// object): <paramref name="logits"/> calls it and returns next-token logits (B, L, V) for ids (B, L);
        /// <paramref name="model"/> is the module whose layers can be attributed and that must be in evaluation mode.
        /// </summary>
        /// <param name="model">The module (for layers, hooks and the evaluation-mode check).</param>
        /// <param name="logits">Token ids (B, L) → logits (B, L, V), calling <paramref name="model"/> through <c>call</c>.</param>
        /// <param name="tokenizer">Its tokenizer.</param>
        public static Text.LanguageModelExplainer ExplainLanguageModel(nn.Module model, Func<Tensor, Tensor> logits, Text.ITextTokenizer tokenizer)
        {
            ArgumentNullException.ThrowIfNull(model);
            ArgumentNullException.ThrowIfNull(logits);
            ArgumentNullException.ThrowIfNull(tokenizer);
            TorchRuntime.EnsureLoaded();
            return new(new Text.LanguageModelScorer(model, logits, $"language model {model.GetName()}"), tokenizer);
        }
    }
}

namespace FluentAttrib.Text
{
    /// <summary>The first step of language-model attribution: the model and its tokenizer. Choose the target with <see cref="For"/>.</summary>
    public sealed class LanguageModelExplainer
    {
        internal LanguageModelExplainer(LanguageModelScorer scorer, ITextTokenizer tokenizer)
        {
            Scorer = scorer;
            Tokenizer = tokenizer;
        }

        internal LanguageModelScorer Scorer { get; }

        /// <summary>The tokenizer of targets and generated tokens.</summary>
        public ITextTokenizer Tokenizer { get; }

        /// <summary>Explains the model's log-probability of <paramref name="target"/> (change the score with
        /// <see cref="TargetedLanguageModelExplainer.Score"/>).</summary>
        /// <param name="target">A continuation (<see cref="TextTarget.Continuation"/>, <see cref="TextTarget.Tokens"/>) or
        /// the model's generation (<see cref="TextTarget.Generation"/>).</param>
        public TargetedLanguageModelExplainer For(TextTarget target)
        {
            ArgumentNullException.ThrowIfNull(target);
            return new(this, target, TokenScore.LogProbability);
        }
    }

    /// <summary>A language model with a target: choose the attributed score, then a perturbation method
    /// (<see cref="With"/>) or a layer for a gradient method (<see cref="At"/>, <see cref="AtEmbeddings"/>).</summary>
    public sealed class TargetedLanguageModelExplainer
    {
        internal TargetedLanguageModelExplainer(LanguageModelExplainer explainer, TextTarget target, TokenScore score)
        {
            Explainer = explainer;
            Target = target;
            AttributedScore = score;
        }

        internal LanguageModelExplainer Explainer { get; }

        /// <summary>The target.</summary>
        public TextTarget Target { get; }

        /// <summary>The score of each target token that is attributed.</summary>
        public TokenScore AttributedScore { get; }

        /// <summary>Attributes <paramref name="score"/> instead of the log-probability.</summary>
        /// <param name="score">What to attribute per target token (<see cref="TokenScore"/>).</param>
        public TargetedLanguageModelExplainer Score(TokenScore score)
        {
            ArgumentNullException.ThrowIfNull(score);
            return new(Explainer, Target, score);
        }

        /// <summary>
        /// A perturbation method over the input's interpretable features (Captum's <c>LLMAttribution</c>):
        /// <see cref="FeatureAblation"/>, <see cref="ShapleyValues"/>, <see cref="ShapleyValueSampling"/> (a row per
        /// target token and the sequence total) or <see cref="KernelShap"/>, <see cref="Lime"/> (the sequence total
        /// only). The method's baseline applies to the presence vector (default 0 = absent) and its mask groups features.
        /// </summary>
        /// <param name="method">The perturbation method.</param>
        public LanguageModelRun With(AttributionMethod method)
        {
            ArgumentNullException.ThrowIfNull(method);
            if (method is not (FeatureAblation or ShapleyValues or ShapleyValueSampling or KernelShap or Lime))
                throw new ArgumentException(
                    $"{method.Name} is not a perturbation method over interpretable features; use FeatureAblation, ShapleyValues, ShapleyValueSampling, KernelShap or Lime, " +
                    "or a gradient method at the embeddings (At(layer).With(LayerIntegratedGradients...)).", nameof(method));
            return new LanguageModelRun(this, method, null, null);
        }

        /// <summary>A gradient method at a layer whose output is the token embeddings (Captum's
        /// <c>LLMGradientAttribution</c>, e.g. <c>At("tok_emb")</c>).</summary>
        /// <param name="layer">The embedding layer, by path (e.g. <c>"transformer.wte"</c>).</param>
        public LanguageModelLayerExplainer At(Layer layer)
        {
            ArgumentNullException.ThrowIfNull(layer);
            FluentAttrib.LayerBinding.Resolve(new ForwardFunction(a => a[0], 1, Explainer.Scorer.Module, Explainer.Scorer.Description), layer); // fails early on a wrong path
            return new(this, layer);
        }

        /// <summary>A gradient method at the model's token embedding: the <see cref="TorchSharp.Modules.Embedding"/>
        /// that receives the token ids (found with one probe forward; a position table receives positions instead).</summary>
        public LanguageModelLayerExplainer AtEmbeddings()
        {
            var scorer = Explainer.Scorer;
            var embeddings = scorer.Module.named_modules().Where(m => m.module is TorchSharp.Modules.Embedding).ToList();
            if (embeddings.Count == 0)
                throw new InvalidOperationException($"{scorer.Description} has no Embedding module; name the embedding layer with At(layer).");
            string? found = null;
            var removers = new List<Action>();
            try
            {
                using var scope = NewDisposeScope();
                using var _ = no_grad();
                using var probe = tensor(new long[] { 1, 1, 1 }, [1, 3], ScalarType.Int64, scorer.Device);
                foreach (var (name, module) in embeddings)
                {
                    var embedding = (TorchSharp.Modules.Embedding)module;
                    if (embedding.weight!.shape[0] < 2) continue;
                    removers.Add(ModuleHooks.AddPost(embedding, (m, input, output) =>
                    {
                        if (found is null && input.shape.SequenceEqual(probe.shape) && (input == 1).all().item<bool>()) found = name;
                        return null;
                    }));
                }
                scorer.Logits(probe);
            }
            finally
            {
                foreach (var r in removers) r();
            }
            return At(found ?? throw new InvalidOperationException(
                $"No Embedding module of {scorer.Description} received the token ids in a probe forward; name the embedding layer with At(layer)."));
        }
    }

    /// <summary>A language model, a target and the embedding layer: choose a gradient method.</summary>
    public sealed class LanguageModelLayerExplainer
    {
        internal LanguageModelLayerExplainer(TargetedLanguageModelExplainer targeted, Layer layer)
        {
            Targeted = targeted;
            Layer = layer;
        }

        internal TargetedLanguageModelExplainer Targeted { get; }

        /// <summary>The embedding layer.</summary>
        public Layer Layer { get; }

        /// <summary><see cref="LayerIntegratedGradients"/> or <see cref="LayerGradientXActivation"/> on the embeddings,
        /// one target token at a time (the already-seen target tokens appended to the prompt). The baseline is a
        /// presence vector (default 0: every feature replaced by the input's baseline token).</summary>
        /// <param name="method">The gradient method.</param>
        public LanguageModelRun With(LayerAttributionMethod method)
        {
            ArgumentNullException.ThrowIfNull(method);
            if (method is not (LayerIntegratedGradients or LayerGradientXActivation))
                throw new ArgumentException($"{method.Name} is not supported for language models; use LayerIntegratedGradients or LayerGradientXActivation.", nameof(method));
            return new LanguageModelRun(Targeted, null, method, Layer);
        }
    }
}
