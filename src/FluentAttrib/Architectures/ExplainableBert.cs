using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FluentAttrib.Architectures;

/// <summary>The sizes of a BERT encoder (Hugging Face's <c>BertConfig</c> fields that shape the weights).</summary>
/// <param name="VocabularySize">Rows of the word embedding (<c>vocab_size</c>).</param>
/// <param name="HiddenSize">Width of every token state (<c>hidden_size</c>).</param>
/// <param name="Layers">Transformer layers (<c>num_hidden_layers</c>).</param>
/// <param name="Heads">Attention heads per layer (<c>num_attention_heads</c>); must divide <paramref name="HiddenSize"/>.</param>
/// <param name="IntermediateSize">Width of the feed-forward layer (<c>intermediate_size</c>).</param>
/// <param name="MaxPositions">Rows of the position embedding: the longest input (<c>max_position_embeddings</c>).</param>
/// <param name="TypeVocabularySize">Rows of the token-type embedding (<c>type_vocab_size</c>).</param>
/// <param name="LayerNormEpsilon">Epsilon of every LayerNorm (<c>layer_norm_eps</c>, 1e-12 in BERT).</param>
public sealed record BertConfig(
    long VocabularySize, long HiddenSize, int Layers, int Heads, long IntermediateSize,
    long MaxPositions = 512, long TypeVocabularySize = 2, double LayerNormEpsilon = 1e-12)
{
    /// <summary>all-MiniLM-L6-v2 (sentence-transformers): 30522 words, 384 wide, 6 layers of 12 heads, 1536 feed-forward.</summary>
    public static BertConfig MiniLmL6 { get; } = new(30522, 384, 6, 12, 1536);

    /// <summary>Width of one head (<see cref="HiddenSize"/> / <see cref="Heads"/>).</summary>
    public long HeadSize => HiddenSize / Heads;

    internal void Validate()
    {
        if (VocabularySize < 1) throw new ArgumentOutOfRangeException(nameof(VocabularySize), VocabularySize, "A BERT needs at least one word.");
        if (HiddenSize < 1) throw new ArgumentOutOfRangeException(nameof(HiddenSize), HiddenSize, "The hidden size must be positive.");
        if (Layers < 1) throw new ArgumentOutOfRangeException(nameof(Layers), Layers, "A BERT has at least one layer.");
        if (Heads < 1 || HiddenSize % Heads != 0)
            throw new ArgumentOutOfRangeException(nameof(Heads), Heads, $"The head count must be positive and divide the hidden size {HiddenSize}.");
        if (IntermediateSize < 1) throw new ArgumentOutOfRangeException(nameof(IntermediateSize), IntermediateSize, "The feed-forward size must be positive.");
        if (MaxPositions < 1) throw new ArgumentOutOfRangeException(nameof(MaxPositions), MaxPositions, "At least one position is needed.");
        if (TypeVocabularySize < 1) throw new ArgumentOutOfRangeException(nameof(TypeVocabularySize), TypeVocabularySize, "At least one token type is needed.");
        if (!(LayerNormEpsilon > 0)) throw new ArgumentOutOfRangeException(nameof(LayerNormEpsilon), LayerNormEpsilon, "LayerNorm's epsilon must be positive.");
    }
}

/// <summary>What an <see cref="ExplainableBert"/> returns.</summary>
public enum BertPooling
{
    /// <summary>Every token's final state, (N, L, H): Hugging Face's <c>last_hidden_state</c>.</summary>
    None,

    /// <summary>The mean of the final states over the tokens the attention mask keeps, (N, H).</summary>
    Mean,

    /// <summary>The masked mean, L2-normalised, (N, H): a sentence-transformers sentence embedding.</summary>
    MeanNormalized,

    /// <summary>The final state of the first token ([CLS]), (N, H).</summary>
    Cls,
}

/// <summary>
/// A BERT encoder whose every LayerNorm, GELU, attention softmax, attention product and residual addition is its own
/// module, used once, so rule-based methods reach each of them and attention-aware methods can read the attention
/// probabilities (<see cref="AttentionLayers"/>). Its state dict has Hugging Face's names (<c>embeddings.word_embeddings.weight</c>,
/// <c>encoder.layer.N.attention.self.query.weight</c>, …) without the pooler. Evaluation only: there is no dropout.
/// </summary>
/// <remarks>
/// <para>The forward takes token ids (N, L) (int64) and an attention mask (N, L) (1 = token, 0 = padding; any dtype);
/// token types are all 0 and positions 0 … L−1. Padding is excluded from attention by adding −10000 to its scores,
/// as BERT does.</para>
/// <para>Modules of layer N (prefix <c>encoder.layer.N.</c>): <c>attention.self.query/key/value</c> (Linear),
/// <c>attention.self.scores</c> (<see cref="MatrixProduct"/> of queries and transposed keys; the 1/√d scale follows it),
/// <c>attention.self.softmax</c> (Softmax; its output is the (N, heads, L, L) attention),
/// <c>attention.self.context</c> (<see cref="MatrixProduct"/> of attention and values), <c>attention.output.dense</c>,
/// <c>attention.output.residual</c> (<see cref="Addition"/>), <c>attention.output.LayerNorm</c>,
/// <c>intermediate.dense</c>, <c>intermediate.intermediate_act_fn</c> (GELU, erf form), <c>output.dense</c>,
/// <c>output.residual</c>, <c>output.LayerNorm</c>. Embeddings: <c>embeddings.word_embeddings</c> (attribute through
/// it with layer methods), <c>position_embeddings</c>, <c>token_type_embeddings</c>, <c>add_token_type</c>,
/// <c>add_position</c>, <c>LayerNorm</c>. With <see cref="BertPooling.MeanNormalized"/>, the normalisation is the
/// module <c>normalize</c> (<see cref="L2Normalization"/>).</para>
/// </remarks>
public sealed class ExplainableBert : Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006 // Field names are the state-dict names.
    private readonly BertEmbeddings embeddings;
    private readonly BertEncoder encoder;
    private readonly L2Normalization? normalize;
#pragma warning restore IDE1006

    /// <summary>A BERT of <paramref name="config"/>'s sizes returning <paramref name="pooling"/>, randomly initialised (normal, σ 0.02, as BERT).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size in <paramref name="config"/> is not positive, or the head count does not divide the width.</exception>
    public ExplainableBert(BertConfig config, BertPooling pooling = BertPooling.None) : base("ExplainableBert")
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (!Enum.IsDefined(pooling)) throw new ArgumentOutOfRangeException(nameof(pooling), pooling, "Unknown pooling.");
        Config = config;
        Pooling = pooling;
        embeddings = new BertEmbeddings(config);
        encoder = new BertEncoder(config);
        if (pooling == BertPooling.MeanNormalized) normalize = new L2Normalization();
        RegisterComponents();
        using var _ = no_grad();
        foreach (var (_, m) in named_modules())
        {
            switch (m)
            {
                case Linear linear:
                    init.normal_(linear.weight, 0, 0.02);
                    if (linear.bias is { } b) init.zeros_(b);
                    break;
                case Embedding embedding:
                    init.normal_(embedding.weight, 0, 0.02);
                    break;
            }
        }
        eval();
    }

    /// <summary>The sizes.</summary>
    public BertConfig Config { get; }

    /// <summary>What the forward returns.</summary>
    public BertPooling Pooling { get; }

    /// <summary>The path of the word embedding (<c>embeddings.word_embeddings</c>): the layer to attribute token ids through.</summary>
    public const string WordEmbeddingsPath = "embeddings.word_embeddings";

    /// <summary>The paths of the attention-softmax modules, first layer first; each outputs (N, heads, L, L).</summary>
    public IReadOnlyList<string> AttentionLayers =>
        [.. Enumerable.Range(0, Config.Layers).Select(i => $"encoder.layer.{i}.attention.self.softmax")];

    /// <summary>
    /// A BERT built for and loaded from <paramref name="stateDict"/> (Hugging Face names, no pooler), in its dtype and
    /// device, returning <paramref name="pooling"/>. Entries the encoder does not use (<c>pooler.*</c>,
    /// <c>embeddings.position_ids</c>) are ignored.
    /// </summary>
    /// <exception cref="ArgumentException">The state dict does not fit <paramref name="config"/> (missing, unexpected or mis-shaped entries).</exception>
    public static ExplainableBert FromStateDict(BertConfig config, IReadOnlyDictionary<string, Tensor> stateDict, BertPooling pooling = BertPooling.None)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var used = stateDict.Where(kv => !kv.Key.StartsWith("pooler.", StringComparison.Ordinal) && kv.Key != "embeddings.position_ids")
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        var model = new ExplainableBert(config, pooling);
        try
        {
            if (used.Count > 0)
            {
                var first = used.Values.First();
                model.to(first.dtype).to(first.device);
            }
            model.LoadExactly(used);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return model;
    }

    /// <summary>Runs the encoder on token ids (N, L) with an attention mask (N, L).</summary>
    /// <exception cref="ArgumentException">The ids are not int64 of shape (N, L), the mask's shape differs, or L exceeds the positions.</exception>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(attentionMask);
        if (inputIds.dim() != 2 || inputIds.dtype != ScalarType.Int64)
            throw new ArgumentException($"BERT takes int64 token ids of shape (N, L); got {inputIds.dtype} {Shapes.Format(inputIds.shape)}.", nameof(inputIds));
        if (!attentionMask.shape.SequenceEqual(inputIds.shape))
            throw new ArgumentException($"The attention mask has shape {Shapes.Format(attentionMask.shape)}; the token ids have {Shapes.Format(inputIds.shape)}.", nameof(attentionMask));
        if (inputIds.shape[1] > Config.MaxPositions)
            throw new ArgumentException($"{inputIds.shape[1]} tokens exceed the {Config.MaxPositions} positions this BERT has.", nameof(inputIds));
        using var scope = NewDisposeScope();
        var x = embeddings.call(inputIds);
        var keep = attentionMask.to(x.dtype);
        // (N, 1, 1, L): 0 for tokens, −10000 for padding, added to every head's scores.
        var bias = ((1.0 - keep) * -10000.0).unsqueeze(1).unsqueeze(1);
        var hidden = encoder.call(x, bias);
        Tensor result = Pooling switch
        {
            BertPooling.None => hidden,
            BertPooling.Cls => hidden.select(1, 0),
            _ => MeanPool(hidden, keep),
        };
        return result.MoveToOuterDisposeScope();
    }

    private Tensor MeanPool(Tensor hidden, Tensor keep)
    {
        var weights = keep.unsqueeze(-1);
        var mean = (hidden * weights).sum(1) / weights.sum(1).clamp_min(1e-9);
        return normalize is null ? mean : normalize.call(mean);
    }
}

/// <summary>BERT's embeddings: word + token type + position, then LayerNorm; each addition a module.</summary>
public sealed class BertEmbeddings : Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly Embedding token_type_embeddings;
    private readonly Addition add_token_type;
    private readonly Addition add_position;
    private readonly LayerNorm LayerNorm;
#pragma warning restore IDE1006

    internal BertEmbeddings(BertConfig config) : base("BertEmbeddings")
    {
        word_embeddings = Embedding(config.VocabularySize, config.HiddenSize);
        position_embeddings = Embedding(config.MaxPositions, config.HiddenSize);
        token_type_embeddings = Embedding(config.TypeVocabularySize, config.HiddenSize);
        add_token_type = new Addition();
        add_position = new Addition();
        LayerNorm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEpsilon);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor inputIds)
    {
        long length = inputIds.shape[1];
        var positions = arange(length, dtype: ScalarType.Int64, device: inputIds.device).unsqueeze(0);
        var types = zeros_like(inputIds);
        var x = add_token_type.call(word_embeddings.call(inputIds), token_type_embeddings.call(types));
        x = add_position.call(x, position_embeddings.call(positions));
        return LayerNorm.call(x);
    }
}

/// <summary>BERT's stack of layers (<c>encoder.layer.N</c>).</summary>
public sealed class BertEncoder : Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly ModuleList<BertLayer> layer;
#pragma warning restore IDE1006

    internal BertEncoder(BertConfig config) : base("BertEncoder")
    {
        layer = ModuleList([.. Enumerable.Range(0, config.Layers).Select(_ => new BertLayer(config))]);
        RegisterComponents();
    }

    /// <summary>Runs every layer on token states (N, L, H) with the additive attention bias (N, 1, 1, L).</summary>
    public override Tensor forward(Tensor hidden, Tensor attentionBias)
    {
        foreach (var l in layer) hidden = l.call(hidden, attentionBias);
        return hidden;
    }
}

/// <summary>One BERT layer: self-attention block, then feed-forward block.</summary>
public sealed class BertLayer : Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly BertAttention attention;
    private readonly BertIntermediate intermediate;
    private readonly BertResidualOutput output;
#pragma warning restore IDE1006

    internal BertLayer(BertConfig config) : base("BertLayer")
    {
        attention = new BertAttention(config);
        intermediate = new BertIntermediate(config);
        output = new BertResidualOutput(config.IntermediateSize, config.HiddenSize, config.LayerNormEpsilon);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor hidden, Tensor attentionBias)
    {
        var attended = attention.call(hidden, attentionBias);
        return output.call(intermediate.call(attended), attended);
    }
}

/// <summary>BERT's attention block: self-attention, then projection, residual addition and LayerNorm.</summary>
public sealed class BertAttention : Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly BertSelfAttention self;
    private readonly BertResidualOutput output;
#pragma warning restore IDE1006

    internal BertAttention(BertConfig config) : base("BertAttention")
    {
        self = new BertSelfAttention(config);
        output = new BertResidualOutput(config.HiddenSize, config.HiddenSize, config.LayerNormEpsilon);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor hidden, Tensor attentionBias) => output.call(self.call(hidden, attentionBias), hidden);
}

/// <summary>Multi-head self-attention with the scores, softmax and context product as modules.</summary>
public sealed class BertSelfAttention : Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly MatrixProduct scores;
    private readonly Softmax softmax;
    private readonly MatrixProduct context;
#pragma warning restore IDE1006
    private readonly long _heads;
    private readonly long _headSize;

    internal BertSelfAttention(BertConfig config) : base("BertSelfAttention")
    {
        query = Linear(config.HiddenSize, config.HiddenSize);
        key = Linear(config.HiddenSize, config.HiddenSize);
        value = Linear(config.HiddenSize, config.HiddenSize);
        scores = new MatrixProduct();
        softmax = Softmax(-1);
        context = new MatrixProduct();
        _heads = config.Heads;
        _headSize = config.HeadSize;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor hidden, Tensor attentionBias)
    {
        long n = hidden.shape[0], length = hidden.shape[1];
        Tensor Heads(Tensor t) => t.view(n, length, _heads, _headSize).permute(0, 2, 1, 3);
        var q = Heads(query.call(hidden));
        var k = Heads(key.call(hidden));
        var v = Heads(value.call(hidden));
        var s = scores.call(q, k.transpose(-1, -2)) / Math.Sqrt(_headSize) + attentionBias;
        var attention = softmax.call(s);
        var c = context.call(attention, v);
        return c.permute(0, 2, 1, 3).reshape(n, length, _heads * _headSize);
    }
}

/// <summary>Projection, residual addition and LayerNorm (<c>attention.output</c> and <c>output</c> in BERT).</summary>
public sealed class BertResidualOutput : Module<Tensor, Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly Linear dense;
    private readonly Addition residual;
    private readonly LayerNorm LayerNorm;
#pragma warning restore IDE1006

    internal BertResidualOutput(long inputSize, long hiddenSize, double epsilon) : base("BertResidualOutput")
    {
        dense = Linear(inputSize, hiddenSize);
        residual = new Addition();
        LayerNorm = nn.LayerNorm(hiddenSize, eps: epsilon);
        RegisterComponents();
    }

    /// <summary>LayerNorm(dense(<paramref name="input"/>) + <paramref name="shortcut"/>).</summary>
    public override Tensor forward(Tensor input, Tensor shortcut) => LayerNorm.call(residual.call(dense.call(input), shortcut));
}

/// <summary>The feed-forward expansion: Linear then GELU (erf form).</summary>
public sealed class BertIntermediate : Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly Linear dense;
    private readonly GELU intermediate_act_fn;
#pragma warning restore IDE1006

    internal BertIntermediate(BertConfig config) : base("BertIntermediate")
    {
        dense = Linear(config.HiddenSize, config.IntermediateSize);
        intermediate_act_fn = GELU();
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor hidden) => intermediate_act_fn.call(dense.call(hidden));
}
