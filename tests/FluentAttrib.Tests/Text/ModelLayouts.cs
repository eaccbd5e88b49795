using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Text;

/// <summary>GPT-2's module layout (Hugging Face names): token and position tables wte/wpe, blocks h.N with ln_1,
/// attn.c_attn (fused q, k, v), attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj (tanh GELU), ln_f, head tied to wte.</summary>
internal sealed class Gpt2Layout : nn.Module<Tensor, Tensor>
{
    private readonly Embedding wte, wpe;
    private readonly ModuleList<Gpt2Block> h;
    private readonly LayerNorm ln_f;
    private readonly Dropout drop = nn.Dropout(0.1);

    public Gpt2Layout(long vocab, long d, int layers, int heads, long positions) : base(nameof(Gpt2Layout))
    {
        wte = nn.Embedding(vocab, d);
        wpe = nn.Embedding(positions, d);
        h = new ModuleList<Gpt2Block>(Enumerable.Range(0, layers).Select(_ => new Gpt2Block(d, heads)).ToArray());
        ln_f = nn.LayerNorm(d);
        RegisterComponents();
    }

    public override Tensor forward(Tensor ids)
    {
        using var pos = arange(ids.shape[1], dtype: ScalarType.Int64, device: ids.device);
        var x = drop.call(wte.call(ids) + wpe.call(pos).unsqueeze(0));
        foreach (var block in h) x = block.call(x);
        return ln_f.call(x).matmul(wte.weight!.t());
    }

    private sealed class Gpt2Block : nn.Module<Tensor, Tensor>
    {
        private readonly LayerNorm ln_1, ln_2;
        private readonly Linear c_attn, c_proj, c_fc, c_mlp_proj;
        private readonly int _heads;

        public Gpt2Block(long d, int heads) : base(nameof(Gpt2Block))
        {
            ln_1 = nn.LayerNorm(d);
            ln_2 = nn.LayerNorm(d);
            c_attn = nn.Linear(d, 3 * d);
            c_proj = nn.Linear(d, d);
            c_fc = nn.Linear(d, 4 * d);
            c_mlp_proj = nn.Linear(4 * d, d);
            _heads = heads;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            long b = x.shape[0], l = x.shape[1], d = x.shape[2], dh = d / _heads;
            var qkv = c_attn.call(ln_1.call(x)).split(d, 2);
            Tensor Heads(Tensor t) => t.view(b, l, _heads, dh).transpose(1, 2);
            var y = nn.functional.scaled_dot_product_attention(Heads(qkv[0]), Heads(qkv[1]), Heads(qkv[2]), is_casual: true);
            x = x + c_proj.call(y.transpose(1, 2).reshape(b, l, d));
            var a = c_fc.call(ln_2.call(x));
            var gelu = 0.5 * a * (1 + (Math.Sqrt(2 / Math.PI) * (a + 0.044715 * a.pow(3))).tanh()); // GPT-2's tanh GELU
            return x + c_mlp_proj.call(gelu);
        }
    }
}

/// <summary>Llama's module layout: embed_tokens, layers.N with RMSNorm input_layernorm, self_attn.{q,k,v,o}_proj
/// (no biases) with rotary position embeddings, post_attention_layernorm, SwiGLU mlp.{gate,up,down}_proj, norm,
/// untied lm_head. No position table: positions enter only through the rotation of queries and keys.</summary>
internal sealed class LlamaLayout : nn.Module<Tensor, Tensor>
{
    private readonly Embedding embed_tokens;
    private readonly ModuleList<LlamaBlock> layers;
    private readonly RmsNorm norm;
    private readonly Linear lm_head;

    public LlamaLayout(long vocab, long d, int layerCount, int heads) : base(nameof(LlamaLayout))
    {
        embed_tokens = nn.Embedding(vocab, d);
        layers = new ModuleList<LlamaBlock>(Enumerable.Range(0, layerCount).Select(_ => new LlamaBlock(d, heads)).ToArray());
        norm = new RmsNorm(d);
        lm_head = nn.Linear(d, vocab, hasBias: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor ids)
    {
        var x = embed_tokens.call(ids);
        foreach (var layer in layers) x = layer.call(x);
        return lm_head.call(norm.call(x));
    }

    internal sealed class RmsNorm : nn.Module<Tensor, Tensor>
    {
        private readonly Parameter weight;

        public RmsNorm(long d) : base(nameof(RmsNorm))
        {
            weight = new Parameter(ones(d));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => x * (x.pow(2).mean([-1], keepdim: true) + 1e-6).rsqrt() * weight;
    }

    private sealed class LlamaBlock : nn.Module<Tensor, Tensor>
    {
        private readonly RmsNorm input_layernorm, post_attention_layernorm;
        private readonly Linear q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj;
        private readonly int _heads;

        public LlamaBlock(long d, int heads) : base(nameof(LlamaBlock))
        {
            input_layernorm = new RmsNorm(d);
            post_attention_layernorm = new RmsNorm(d);
            q_proj = nn.Linear(d, d, hasBias: false);
            k_proj = nn.Linear(d, d, hasBias: false);
            v_proj = nn.Linear(d, d, hasBias: false);
            o_proj = nn.Linear(d, d, hasBias: false);
            gate_proj = nn.Linear(d, 2 * d, hasBias: false);
            up_proj = nn.Linear(d, 2 * d, hasBias: false);
            down_proj = nn.Linear(2 * d, d, hasBias: false);
            _heads = heads;
            RegisterComponents();
        }

        private static Tensor Rotate(Tensor t)
        {
            long half = t.shape[^1] / 2;
            return cat([-t.narrow(-1, half, half), t.narrow(-1, 0, half)], -1);
        }

        public override Tensor forward(Tensor x)
        {
            long b = x.shape[0], l = x.shape[1], d = x.shape[2], dh = d / _heads;
            var h = input_layernorm.call(x);
            Tensor Heads(Tensor t) => t.view(b, l, _heads, dh).transpose(1, 2);
            var q = Heads(q_proj.call(h));
            var k = Heads(k_proj.call(h));
            var v = Heads(v_proj.call(h));
            // Rotary embeddings: rotate each (i, i + dh/2) pair of dimensions by position · 10000^(−2i/dh).
            var invFreq = pow(10000.0, -arange(0, dh, 2, dtype: x.dtype, device: x.device) / dh);
            var angles = arange(l, dtype: x.dtype, device: x.device).outer(invFreq);
            var emb = cat([angles, angles], -1);
            var cos = emb.cos().reshape(1, 1, l, dh);
            var sin = emb.sin().reshape(1, 1, l, dh);
            q = q * cos + Rotate(q) * sin;
            k = k * cos + Rotate(k) * sin;
            var y = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true);
            x = x + o_proj.call(y.transpose(1, 2).reshape(b, l, d));
            h = post_attention_layernorm.call(x);
            return x + down_proj.call(nn.functional.silu(gate_proj.call(h)) * up_proj.call(h));
        }
    }
}

/// <summary>A model where one word alone sets the continuation: the token embeddings are 0 except the key word's
/// (1, 0), and every position's logits are 8 × (does the prefix contain the key word) for the key's answer tokens.</summary>
internal sealed class KeyWordModel : nn.Module<Tensor, Tensor>
{
    private readonly Embedding tok_emb;
    private readonly Linear head;

    public KeyWordModel(long vocab, long key, long[] answers) : base(nameof(KeyWordModel))
    {
        tok_emb = nn.Embedding(vocab, 2, dtype: ScalarType.Float64);
        head = nn.Linear(2, vocab, dtype: ScalarType.Float64);
        using (no_grad())
        {
            tok_emb.weight!.zero_();
            tok_emb.weight[key, 0] = 1.0;
            head.weight!.zero_();
            head.bias!.zero_();
            foreach (var a in answers) head.weight[a, 0] = 8.0;
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor ids) => head.call(tok_emb.call(ids).cumsum(1));
}
