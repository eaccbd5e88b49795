using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TextClassification;

/// <summary>
/// A tiny sentence classifier: word embeddings (16-d, padding = 0) summed over the sentence, one hidden layer of 16
/// with tanh, two logits. The embedding is the layer <c>emb</c> that LayerIntegratedGradients explains.
/// </summary>
internal sealed class SentenceClassifier : Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // The field names are the module paths.
    private readonly Embedding emb;
    private readonly Linear hidden;
    private readonly Linear output;
#pragma warning restore IDE1006

    public SentenceClassifier(long vocabulary, long dimension = 16) : base(nameof(SentenceClassifier))
    {
        emb = Embedding(vocabulary, dimension, padding_idx: Austen.Pad);
        hidden = Linear(dimension, 16);
        output = Linear(16, 2);
        RegisterComponents();
    }

    /// <summary>Token ids (N × T, int64) → logits (N × 2).</summary>
    public override Tensor forward(Tensor tokens)
    {
        using var scope = NewDisposeScope();
        var sentence = emb.call(tokens).sum(1);
        return output.call(hidden.call(sentence).tanh()).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            emb.Dispose();
            hidden.Dispose();
            output.Dispose();
        }
        base.Dispose(disposing);
    }
}
