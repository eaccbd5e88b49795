using System.Globalization;
using FluentAttrib.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Text;

/// <summary>A configured language-model attribution; set run options, then call <see cref="Attribute"/>.</summary>
public sealed record LanguageModelRun
{
    internal LanguageModelRun(TargetedLanguageModelExplainer targeted, AttributionMethod? perturbation, LayerAttributionMethod? gradient, Layer? layer)
    {
        Targeted = targeted;
        Perturbation = perturbation;
        Gradient = gradient;
        Layer = layer;
    }

    internal TargetedLanguageModelExplainer Targeted { get; }
    internal AttributionMethod? Perturbation { get; }
    internal LayerAttributionMethod? Gradient { get; }

    /// <summary>The embedding layer of a gradient method, or null.</summary>
    public Layer? Layer { get; }

    /// <summary>The method's name.</summary>
    public string MethodName => Perturbation?.Name ?? Gradient!.Name;

    private IProgress<AttributionProgress>? ProgressSink { get; init; }
    private CancellationToken Token { get; init; }
    private long? Budget { get; init; }
    private bool AllowTraining { get; init; }

    /// <summary>Reports passes done out of passes planned, over all target tokens.</summary>
    /// <param name="progress">The receiver.</param>
    public LanguageModelRun WithProgress(IProgress<AttributionProgress> progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        return this with { ProgressSink = progress };
    }

    /// <summary>Stops between passes (and between generated tokens) when cancelled.</summary>
    /// <param name="cancellation">The token.</param>
    public LanguageModelRun WithCancellation(CancellationToken cancellation) => this with { Token = cancellation };

    /// <summary>What batches of perturbed prompts (and the gradient method's passes) may plan for.</summary>
    /// <param name="bytes">The budget in bytes.</param>
    public LanguageModelRun WithMemoryBudget(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        return this with { Budget = bytes };
    }

    /// <summary>Runs a model that is in training mode as it is (see the safety docs).</summary>
    public LanguageModelRun WithTrainingMode() => this with { AllowTraining = true };

    /// <summary>
    /// Attributes the target to the features of <paramref name="input"/>: one row per target token and one column
    /// per entry of <see cref="InterpretableText.Values"/>, plus the sequence total (Captum's
    /// <c>LLMAttributionResult</c>).
    /// </summary>
    /// <param name="input">The prompt as a <see cref="TextTokenInput"/> or <see cref="TextTemplateInput"/> (gradient
    /// methods: a <see cref="TextTokenInput"/>).</param>
    public TextAttribution Attribute(InterpretableText input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Token.ThrowIfCancellationRequested();
        var explainer = Targeted.Explainer;
        var scorer = explainer.Scorer;
        var tokenizer = explainer.Tokenizer;
        var score = Targeted.AttributedScore;
        if (Gradient is not null && input is not TextTokenInput)
            throw new ArgumentException("Gradient methods on the embeddings need a TextTokenInput (the perturbed and baseline prompts must have the same tokens' positions).", nameof(input));
        using var guard = ModelGuard.Enter(scorer.Module, AllowTraining);
        using var memory = NativeHeap.Enter();
        var prompt = input.ToTokenIds()[0];
        long[] target;
        if (Targeted.Target.IsGenerated)
        {
            long? eos = Targeted.Target.EndOfSequence is { } e ? e.Resolve(tokenizer) : (tokenizer as WordTokenizer)?.EndId;
            target = scorer.Generate(prompt, Targeted.Target.MaxNewTokens, eos, Token);
        }
        else
        {
            target = Targeted.Target.Resolve(tokenizer);
        }
        if (target.Length == 0) throw new ArgumentException("The target has no token left to attribute (after removing the skip tokens).", "target");
        long[]? foil = null;
        if (score.Kind == TokenScoreKind.Contrastive)
        {
            foil = score.Foil!.Resolve(tokenizer);
            if (foil.Length != target.Length)
                throw new ArgumentException($"The foil has {foil.Length} token(s) but the target has {target.Length}; give one foil token per target token.", "score");
        }

        // Inseq's step scores on the unperturbed prompt.
        var logProbs = scorer.TokenScores([prompt], target, null, TokenScoreKind.LogProbability, Budget, Token)[0];
        var entropies = scorer.TokenScores([prompt], target, null, TokenScoreKind.Entropy, Budget, Token)[0];

        Tensor seq;
        Tensor? perToken;
        string description;
        if (Perturbation is { } method)
            (seq, perToken, description) = RunPerturbation(method, input, target, foil, score);
        else
            (seq, perToken, description) = RunGradient(input, target, foil, score);

        return new TextAttribution(
            input.Values, PrettyTokens(target, tokenizer), target, seq, perToken,
            tensor(logProbs.Select(Math.Exp).ToArray()), tensor(entropies), description, score);
    }

    private (Tensor, Tensor?, string) RunPerturbation(AttributionMethod method, InterpretableText input, long[] target, long[]? foil, TokenScore score)
    {
        var scorer = Targeted.Explainer.Scorer;
        bool perTokenRows = method is FeatureAblation or ShapleyValues or ShapleyValueSampling;
        int columns = perTokenRows ? target.Length + 1 : 1;
        // Every column run must see the same random draws, so that they share forwards and the rows add up.
        if (method is ISeedSetting && method.Values.Seed is null)
            method = (AttributionMethod)method.WithValues(method.Values with { Seed = Random.Shared.NextInt64(int.MaxValue) });

        var cache = new Dictionary<string, double[]>(StringComparer.Ordinal);
        int n = input.FeatureCount;
        Tensor Forward(Tensor presence)
        {
            Token.ThrowIfCancellationRequested();
            if (presence.dim() != 2 || presence.shape[1] != n)
                throw new InvalidOperationException($"Internal: presence batch of shape ({string.Join(", ", presence.shape)}).");
            var host = presence.detach().to(ScalarType.Float64, CPU).contiguous().data<double>().ToArray();
            int k = (int)presence.shape[0];
            var keys = new string[k];
            var missing = new List<int>();
            for (int r = 0; r < k; r++)
            {
                keys[r] = Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(host.AsSpan(r * n, n)));
                if (!cache.ContainsKey(keys[r]) && !missing.Any(m => keys[m] == keys[r])) missing.Add(r);
            }
            if (missing.Count > 0)
            {
                using var rows = tensor(missing.SelectMany(r => host.AsSpan(r * n, n).ToArray()).ToArray(), [missing.Count, n], ScalarType.Float64);
                var prompts = input.ToTokenIds(rows);
                var scores = scorer.TokenScores(prompts, target, foil, score.Kind, Budget, Token);
                for (int i = 0; i < missing.Count; i++) cache[keys[missing[i]]] = LanguageModelScorer.WithTotal(scores[i], score.Kind);
            }
            var output = new double[k * (target.Length + 1)];
            for (int r = 0; r < k; r++) cache[keys[r]].CopyTo(output, r * (target.Length + 1));
            return tensor(output, [k, target.Length + 1], ScalarType.Float64);
        }

        var forward = new ForwardFunction(a => a.Length == 1 ? Forward(a[0]) : throw new InvalidOperationException("Internal: one presence input expected."),
            1, scorer.Module, scorer.Description);
        var rowsOut = new Tensor[columns];
        string description = method.Describe();
        using (var scope = NewDisposeScope())
        {
            using var ones = input.ToTensor(scorer.Dtype);
            for (int j = 0; j < columns; j++)
            {
                var run = new Explainer(forward).For(Target.Index(j)).With(method).WithCancellation(Token);
                if (Budget is { } b) run = run.WithMemoryBudget(b);
                if (AllowTraining) run = run.WithTrainingMode();
                if (ProgressSink is { } sink) run = run.WithProgress(new Progress(sink, method.Name, j, columns));
                using var attribution = run.Attribute(ones);
                description = attribution.Method;
                rowsOut[j] = attribution.Value.reshape(n).to(ScalarType.Float32).clone();
            }
            var all = input.FormatAttribution(stack(rowsOut, 0));
            var seq = all[0].clone().MoveToOuterDisposeScope();
            Tensor? perToken = perTokenRows ? all[1..].clone().MoveToOuterDisposeScope() : null;
            return (seq, perToken, $"{description} over {n} features of the prompt, {score}");
        }
    }

    private (Tensor, Tensor?, string) RunGradient(InterpretableText input, long[] target, long[]? foil, TokenScore score)
    {
        var scorer = Targeted.Explainer.Scorer;
        var tokens = (TextTokenInput)input;
        var method = Gradient!;
        var positions = tensor(tokens.FeaturePositions.Select(p => (long)p).ToArray(), ScalarType.Int64);
        var rows = new Tensor[target.Length];
        string description = method.Describe();
        using var scope = NewDisposeScope();
        var ones = input.ToTensor(scorer.Dtype);
        for (int k = 0; k < target.Length; k++)
        {
            int step = k;
            Tensor Forward(Tensor presence)
            {
                Token.ThrowIfCancellationRequested();
                var prompts = input.ToTokenIds(presence);
                var ids = tensor(prompts.SelectMany(p => p.Concat(target.Take(step))).ToArray(), [prompts.Count, prompts[0].Length + step], ScalarType.Int64, scorer.Device);
                return scorer.StepScore(ids, target[step], foil?[step], score.Kind);
            }
            var forward = new ForwardFunction(a => a.Length == 1 ? Forward(a[0]) : throw new InvalidOperationException("Internal: one presence input expected."),
                1, scorer.Module, scorer.Description);
            var run = new Explainer(forward).At(Layer!).With(method).WithCancellation(Token);
            if (Budget is { } b) run = run.WithMemoryBudget(b);
            if (AllowTraining) run = run.WithTrainingMode();
            if (ProgressSink is { } sink) run = run.WithProgress(new Progress(sink, method.Name, k, target.Length));
            using var attribution = run.Attribute(ones);
            description = attribution.Method;
            var value = attribution.Value;
            if (value.dim() < 2 || value.shape[0] != 1 || value.shape[1] != tokens.TokenIds.Count + step)
                throw new InvalidOperationException(
                    $"Layer {Layer} has output shape ({string.Join(", ", value.shape)}); an embedding layer of a causal language model gives (1, sequence length, ...) per prompt.");
            var perPosition = value.dim() > 2 ? value.reshape(1, value.shape[1], -1).sum(dim: 2) : value;
            rows[k] = perPosition[0].index_select(0, positions.to(perPosition.device)).clone();
        }
        var perToken = stack(rows, 0);
        var seq = perToken.sum(dim: 0);
        return (seq.MoveToOuterDisposeScope(), perToken.MoveToOuterDisposeScope(), $"{description}, {score}");
    }

    /// <summary>Each target token as text: the decoded target re-tokenized with offsets, each span stripped (as Captum
    /// shows output tokens), or each token decoded alone when the round trip does not give the same ids.</summary>
    internal static IReadOnlyList<string> PrettyTokens(long[] ids, ITextTokenizer tokenizer)
    {
        var ints = ids.Select(i => (int)i).ToArray();
        string text = tokenizer.Decode(ints);
        var spans = tokenizer.EncodeWithOffsets(text);
        static string Clean(string s) => s.Replace("\n", "\\n", StringComparison.Ordinal).Trim();
        if (spans.Count == ids.Length && spans.Select(s => (long)s.Id).SequenceEqual(ids))
            return spans.Select(s => Clean(text[s.Start..s.End])).ToArray();
        return ints.Select(i => Clean(tokenizer.Decode([i]))).ToArray();
    }

    private sealed class Progress(IProgress<AttributionProgress> sink, string method, int run, int runs) : IProgress<AttributionProgress>
    {
        public void Report(AttributionProgress value) =>
            sink.Report(new AttributionProgress(string.Create(CultureInfo.InvariantCulture, $"{method} (target row {run + 1} of {runs})"),
                run * value.Total + value.Completed, runs * value.Total));
    }
}
