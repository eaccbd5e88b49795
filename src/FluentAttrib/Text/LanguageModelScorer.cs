using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Text;

/// <summary>Runs a causal language model (token ids (B, L) → logits (B, L, V)): greedy generation and teacher-forced
/// scores of target tokens, batched by a memory budget.</summary>
internal sealed class LanguageModelScorer
{
    private readonly Func<Tensor, Tensor> _logits;

    public LanguageModelScorer(nn.Module module, Func<Tensor, Tensor> logits, string description)
    {
        Module = module;
        _logits = logits;
        Description = description;
        var first = module.parameters().FirstOrDefault(p => p.is_floating_point());
        Device = first?.device ?? CPU;
        Dtype = first?.dtype ?? ScalarType.Float32;
    }

    /// <summary>The floating-point type of the model's parameters (the presence vectors are made of it).</summary>
    public ScalarType Dtype { get; }

    public nn.Module Module { get; }
    public string Description { get; }
    public Device Device { get; }

    public const long DefaultBudgetBytes = 512L << 20;

    /// <summary>The logits of a batch of ids, checked against the contract.</summary>
    public Tensor Logits(Tensor ids)
    {
        var z = _logits(ids) ?? throw new InvalidOperationException($"{Description} returned null instead of logits.");
        if (z.dim() != 3 || z.shape[0] != ids.shape[0] || z.shape[1] != ids.shape[1])
            throw new ArgumentException(
                $"{Description} returned logits of shape ({string.Join(", ", z.shape)}) for token ids of shape ({string.Join(", ", ids.shape)}); " +
                "a causal language model must map ids (B, L) to next-token logits (B, L, V).", "model");
        if (!z.is_floating_point())
            throw new ArgumentException($"{Description} returned logits of type {z.dtype}; they must be floating point.", "model");
        return z;
    }

    public long[] Generate(long[] prompt, int maxNewTokens, long? endOfSequence, CancellationToken cancellation)
    {
        var ids = new List<long>(prompt);
        using var _ = no_grad();
        for (int i = 0; i < maxNewTokens; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            using var x = tensor(ids.ToArray(), [1, ids.Count], ScalarType.Int64, Device);
            long next = Logits(x)[0, -1].argmax().item<long>();
            ids.Add(next);
            if (next == endOfSequence) break;
        }
        return ids.Skip(prompt.Length).ToArray();
    }

    /// <summary>
    /// Per-token scores (k, T) of <paramref name="target"/> after each prompt, by teacher forcing: one forward over
    /// prompt + target[..T-1] per row (rows right-padded; a causal model's earlier positions do not see padding),
    /// position len(prompt) − 1 + t predicting target[t]. Returned as float64 on the CPU.
    /// </summary>
    public double[][] TokenScores(IReadOnlyList<long[]> prompts, long[] target, long[]? foil, TokenScoreKind kind, long? budgetBytes,
        CancellationToken cancellation)
    {
        int t = target.Length;
        var result = new double[prompts.Count][];
        int longest = prompts.Max(p => p.Length) + t - 1;
        int start = 0;
        int rowsPerChunk = -1;
        while (start < prompts.Count)
        {
            cancellation.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            int count = rowsPerChunk < 0 ? 1 : Math.Min(rowsPerChunk, prompts.Count - start);
            var seqs = new long[count * longest];
            var positions = new long[count * t];
            for (int r = 0; r < count; r++)
            {
                var p = prompts[start + r];
                if (p.Length == 0) throw new ArgumentException("A perturbed prompt has no token; the model has nothing to condition on.", "input");
                p.CopyTo(seqs, r * longest);
                Array.Copy(target, 0, seqs, r * longest + p.Length, t - 1);
                for (int j = 0; j < t; j++) positions[r * t + j] = p.Length - 1 + j;
            }
            var ids = tensor(seqs, [count, longest], ScalarType.Int64, Device);
            var logits = Logits(ids);
            long vocab = logits.shape[2];
            if (rowsPerChunk < 0)
            {
                // Plan the chunks from the first row: logits and the log-softmax of every position, with room for the model's activations.
                long perRow = longest * (vocab + 1024) * logits.element_size() * 4;
                rowsPerChunk = (int)Math.Clamp((budgetBytes ?? DefaultBudgetBytes) / Math.Max(1, perRow), 1, 4096);
            }
            if (target.Concat(foil ?? []).Any(y => y < 0 || y >= vocab))
                throw new ArgumentOutOfRangeException("target", $"A target or foil token id is outside the model's vocabulary of {vocab} tokens.");
            var index = tensor(positions, [count, t, 1], ScalarType.Int64, Device).expand(count, t, vocab);
            var lp = nn.functional.log_softmax(logits.gather(1, index), -1); // (count, T, V)
            var y = tensor(target, [1, t, 1], ScalarType.Int64, Device).expand(count, t, 1);
            Tensor scores = kind switch
            {
                TokenScoreKind.LogProbability or TokenScoreKind.Probability => lp.gather(2, y).squeeze(2),
                TokenScoreKind.Contrastive => lp.gather(2, y).squeeze(2) - lp.gather(2, tensor(foil!, [1, t, 1], ScalarType.Int64, Device).expand(count, t, 1)).squeeze(2),
                TokenScoreKind.Entropy => -(lp.exp() * lp).sum(dim: 2),
                _ => throw new ArgumentOutOfRangeException(nameof(kind)),
            };
            var host = scores.to(ScalarType.Float64, CPU).data<double>().ToArray();
            for (int r = 0; r < count; r++) result[start + r] = host.AsSpan(r * t, t).ToArray();
            start += count;
        }
        return result;
    }

    /// <summary>The attributed outputs of one row: the sequence total, then the per-token scores.</summary>
    public static double[] WithTotal(double[] perToken, TokenScoreKind kind)
    {
        var row = new double[perToken.Length + 1];
        double sum = 0;
        foreach (var s in perToken) sum += s;
        row[0] = sum;
        perToken.CopyTo(row, 1);
        if (kind == TokenScoreKind.Probability)
            for (int i = 0; i < row.Length; i++) row[i] = Math.Exp(row[i]); // product of the probabilities, as exp of the summed log-probabilities
        return row;
    }

    /// <summary>The score of <paramref name="token"/> at the last position of each row of ids (for gradients).</summary>
    public Tensor StepScore(Tensor ids, long token, long? foilToken, TokenScoreKind kind)
    {
        var lp = nn.functional.log_softmax(Logits(ids).select(1, -1), -1);
        long vocab = lp.shape[1];
        if (token < 0 || token >= vocab || foilToken is < 0 || foilToken >= vocab)
            throw new ArgumentOutOfRangeException("target", $"A target or foil token id is outside the model's vocabulary of {vocab} tokens.");
        return kind switch
        {
            TokenScoreKind.LogProbability => lp[.., token],
            TokenScoreKind.Probability => lp[.., token].exp(),
            TokenScoreKind.Contrastive => lp[.., token] - lp[.., foilToken!.Value],
            TokenScoreKind.Entropy => -(lp.exp() * lp).sum(dim: 1),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }
}
