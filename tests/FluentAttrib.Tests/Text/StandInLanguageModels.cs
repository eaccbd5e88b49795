using System.Text.Json;
using FluentAttrib.Tests.Conformance;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Text;

/// <summary>The golden cases' tiny GPT-style causal transformer (pre-LayerNorm blocks, learned positions, exact GELU).</summary>
internal sealed class TinyCausalTransformer : nn.Module<Tensor, Tensor>
{
    private readonly Embedding tok_emb;
    private readonly Embedding pos_emb;
    private readonly ModuleList<TransformerBlock> blocks;
    private readonly LayerNorm ln_f;
    private readonly Linear? lm_head;

    public TinyCausalTransformer(long vocab, long dModel, int layers, int heads, long dFf, long maxPositions, double eps, bool tied)
        : base(nameof(TinyCausalTransformer))
    {
        tok_emb = nn.Embedding(vocab, dModel, dtype: ScalarType.Float64);
        pos_emb = nn.Embedding(maxPositions, dModel, dtype: ScalarType.Float64);
        blocks = new ModuleList<TransformerBlock>(Enumerable.Range(0, layers).Select(_ => new TransformerBlock(dModel, heads, dFf, eps)).ToArray());
        ln_f = nn.LayerNorm(dModel, eps, dtype: ScalarType.Float64);
        lm_head = tied ? null : nn.Linear(dModel, vocab, hasBias: false, dtype: ScalarType.Float64);
        RegisterComponents();
    }

    public override Tensor forward(Tensor ids)
    {
        using var positions = arange(ids.shape[1], dtype: ScalarType.Int64, device: ids.device);
        var x = tok_emb.call(ids) + pos_emb.call(positions).unsqueeze(0);
        foreach (var block in blocks) x = block.call(x);
        x = ln_f.call(x);
        return lm_head is null ? x.matmul(tok_emb.weight!.t()) : lm_head.call(x);
    }
}

internal sealed class TransformerBlock : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm ln1;
    private readonly LayerNorm ln2;
    private readonly CausalSelfAttention attn;
    private readonly Mlp mlp;

    public TransformerBlock(long d, int heads, long dFf, double eps) : base(nameof(TransformerBlock))
    {
        ln1 = nn.LayerNorm(d, eps, dtype: ScalarType.Float64);
        ln2 = nn.LayerNorm(d, eps, dtype: ScalarType.Float64);
        attn = new CausalSelfAttention(d, heads);
        mlp = new Mlp(d, dFf);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        x = x + attn.call(ln1.call(x));
        return x + mlp.call(ln2.call(x));
    }
}

internal sealed class CausalSelfAttention : nn.Module<Tensor, Tensor>
{
    private readonly Linear q, k, v, o;
    private readonly int _heads;

    public CausalSelfAttention(long d, int heads) : base(nameof(CausalSelfAttention))
    {
        q = nn.Linear(d, d, dtype: ScalarType.Float64);
        k = nn.Linear(d, d, dtype: ScalarType.Float64);
        v = nn.Linear(d, d, dtype: ScalarType.Float64);
        o = nn.Linear(d, d, dtype: ScalarType.Float64);
        _heads = heads;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        long b = x.shape[0], l = x.shape[1], d = x.shape[2], dh = d / _heads;
        Tensor Split(Tensor t) => t.view(b, l, _heads, dh).transpose(1, 2);
        var qh = Split(q.call(x));
        var kh = Split(k.call(x));
        var vh = Split(v.call(x));
        var scores = qh.matmul(kh.transpose(-2, -1)) / Math.Sqrt(dh);
        using var future = ones(l, l, dtype: ScalarType.Bool, device: x.device).triu(1);
        var a = scores.masked_fill(future, double.NegativeInfinity).softmax(-1);
        var y = a.matmul(vh).transpose(1, 2).reshape(b, l, d);
        return o.call(y);
    }
}

internal sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1, fc2;
    private readonly GELU act = nn.GELU();

    public Mlp(long d, long dFf) : base(nameof(Mlp))
    {
        fc1 = nn.Linear(d, dFf, dtype: ScalarType.Float64);
        fc2 = nn.Linear(dFf, d, dtype: ScalarType.Float64);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => fc2.call(act.call(fc1.call(x)));
}

/// <summary>The golden cases' hand-checkable model: logits at i = head(mean of the token embeddings up to i).</summary>
internal sealed class MeanPrefixLm : nn.Module<Tensor, Tensor>
{
    private readonly Embedding tok_emb;
    private readonly Linear head;

    public MeanPrefixLm(long vocab, long d) : base(nameof(MeanPrefixLm))
    {
        tok_emb = nn.Embedding(vocab, d, dtype: ScalarType.Float64);
        head = nn.Linear(d, vocab, dtype: ScalarType.Float64);
        RegisterComponents();
    }

    public override Tensor forward(Tensor ids)
    {
        var e = tok_emb.call(ids);
        using var counts = arange(1, ids.shape[1] + 1, dtype: e.dtype, device: e.device).reshape(1, -1, 1);
        return head.call(e.cumsum(1) / counts);
    }
}

internal static class StandInLanguageModels
{
    /// <summary>Builds a case's model from its config and loads its state dict (strict), in evaluation mode.</summary>
    public static nn.Module<Tensor, Tensor> Build(JsonElement model)
    {
        var config = model.GetProperty("config");
        string kind = model.GetProperty("kind").GetString()!;
        nn.Module<Tensor, Tensor> m = kind switch
        {
            "tiny_causal_transformer" => new TinyCausalTransformer(
                config.GetProperty("vocab_size").GetInt64(), config.GetProperty("d_model").GetInt64(), config.GetProperty("n_layers").GetInt32(),
                config.GetProperty("n_heads").GetInt32(), config.GetProperty("d_ff").GetInt64(), config.GetProperty("max_positions").GetInt64(),
                config.GetProperty("layer_norm_eps").GetDouble(), config.GetProperty("tie_lm_head").GetBoolean()),
            "mean_prefix_lm" => new MeanPrefixLm(config.GetProperty("vocab_size").GetInt64(), config.GetProperty("d_model").GetInt64()),
            _ => throw new NotSupportedException("model kind " + kind),
        };
        var parameters = new Dictionary<string, Tensor>();
        foreach (var p in model.GetProperty("parameters").EnumerateObject()) parameters[p.Name] = CaseFile.TensorOf(p.Value);
        var expectedNames = m.state_dict().Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();
        Assert.Equal(parameters.Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray(), expectedNames);
        m.load_state_dict(parameters, strict: true);
        foreach (var t in parameters.Values) t.Dispose();
        m.eval();
        return m;
    }
}
