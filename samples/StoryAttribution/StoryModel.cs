using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StoryAttribution;

/// <summary>
/// A small word-level GPT: token and learned position embeddings, pre-LayerNorm blocks of causal self-attention and
/// a GELU MLP, a final LayerNorm and an output layer tied to the token embedding. Maps token ids (B, L) to next-token
/// logits (B, L, V): the contract <c>Fluent.ExplainLanguageModel</c> explains.
/// </summary>
internal sealed class StoryModel : nn.Module<Tensor, Tensor>
{
    public const int Dim = 64, Heads = 4, Layers = 2, Context = 48;

    private readonly Embedding tok_emb;
    private readonly Embedding pos_emb;
    private readonly ModuleList<Block> blocks;
    private readonly LayerNorm ln_f;
    private readonly Dropout drop = nn.Dropout(0.1);

    public StoryModel(long vocabulary) : base(nameof(StoryModel))
    {
        tok_emb = nn.Embedding(vocabulary, Dim);
        pos_emb = nn.Embedding(Context, Dim);
        blocks = new ModuleList<Block>(Enumerable.Range(0, Layers).Select(_ => new Block()).ToArray());
        ln_f = nn.LayerNorm(Dim);
        RegisterComponents();
        using (no_grad())
        {
            tok_emb.weight!.normal_(0, 0.05);
            pos_emb.weight!.normal_(0, 0.02);
        }
    }

    public long Vocabulary => tok_emb.weight!.shape[0];

    public override Tensor forward(Tensor ids)
    {
        if (ids.shape[1] > Context)
            throw new ArgumentException($"The model reads at most {Context} tokens; got {ids.shape[1]}.", nameof(ids));
        using var positions = arange(ids.shape[1], dtype: ScalarType.Int64, device: ids.device);
        var x = drop.call(tok_emb.call(ids) + pos_emb.call(positions).unsqueeze(0));
        foreach (var block in blocks) x = block.call(x);
        return ln_f.call(x).matmul(tok_emb.weight!.t());
    }

    private sealed class Block : nn.Module<Tensor, Tensor>
    {
        private readonly LayerNorm ln1 = nn.LayerNorm(Dim), ln2 = nn.LayerNorm(Dim);
        private readonly Linear qkv = nn.Linear(Dim, 3 * Dim), proj = nn.Linear(Dim, Dim);
        private readonly Linear fc1 = nn.Linear(Dim, 4 * Dim), fc2 = nn.Linear(4 * Dim, Dim);
        private readonly GELU gelu = nn.GELU();
        private readonly Dropout drop = nn.Dropout(0.1);

        public Block() : base(nameof(Block)) => RegisterComponents();

        public override Tensor forward(Tensor x)
        {
            long b = x.shape[0], l = x.shape[1], dh = Dim / Heads;
            var parts = qkv.call(ln1.call(x)).split(Dim, 2);
            Tensor Split(Tensor t) => t.view(b, l, Heads, dh).transpose(1, 2);
            var y = nn.functional.scaled_dot_product_attention(Split(parts[0]), Split(parts[1]), Split(parts[2]), is_casual: true);
            x = x + drop.call(proj.call(y.transpose(1, 2).reshape(b, l, Dim)));
            return x + drop.call(fc2.call(gelu.call(fc1.call(ln2.call(x)))));
        }
    }
}
