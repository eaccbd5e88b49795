using FluentAttrib.Architectures;
using FluentAttrib.Pretrained.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp.Modules;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace FluentAttrib.Pretrained.Tests;

/// <summary>The MiniLM model bytes and the imported encoder, read once for all MiniLM tests.</summary>
public sealed class MiniLmFixture : IDisposable
{
    public MiniLmFixture()
    {
        OnnxBytes = PretrainedMiniLM.ReadResource(PretrainedMiniLM.AssemblyPath, PretrainedMiniLM.ModelResource);
        Weights = PretrainedMiniLM.ImportWeights();
        Model = Weights.CreateModel(BertPooling.None);
        Tokenizer = PretrainedMiniLM.LoadTokenizer();
    }

    public byte[] OnnxBytes { get; }
    public ImportedBert Weights { get; }
    public ExplainableBert Model { get; }
    public SentenceTokenizer Tokenizer { get; }

    public void Dispose()
    {
        Model.Dispose();
        Weights.Dispose();
    }
}

/// <summary>
/// The MiniLM-L6 encoder imported into <see cref="ExplainableBert"/> against ONNX Runtime running the very same graph
/// on real sentences (a padded batch): every token state within 1e-4; the sentence embeddings as sentence-transformers
/// computes them; the importer's mapping and its typed errors.
/// </summary>
public sealed class MiniLmTests(MiniLmFixture fixture, ITestOutputHelper output) : IClassFixture<MiniLmFixture>
{
    private static readonly string[] Sentences =
    [
        "A man is playing a guitar on the stage.",
        "Someone plays an acoustic guitar.",
        "The quarterly report shows that revenue grew by twelve percent, driven by subscriptions.",
        "Cats sleep.",
    ];

    private (float[] Hidden, long[] Shape) RunOnnxRuntime(long[] ids, long[] mask, int[] shape)
    {
        using var session = new InferenceSession(fixture.OnnxBytes);
        var types = new long[ids.Length];
        using var results = session.Run(
        [
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(mask, shape)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(types, shape)),
        ]);
        var hidden = results.Single(r => r.Name == "last_hidden_state").AsTensor<float>();
        return (hidden.ToArray(), [.. hidden.Dimensions.ToArray().Select(d => (long)d)]);
    }

    [Fact]
    public void Token_states_and_sentence_embeddings_equal_OnnxRuntimes_on_real_sentences()
    {
        using var scope = NewDisposeScope();
        using var encoded = fixture.Tokenizer.Encode(Sentences);
        long[] ids = encoded.Ids.data<long>().ToArray(), mask = encoded.Mask.data<long>().ToArray();
        int[] shape = [.. encoded.Ids.shape.Select(d => (int)d)];
        Assert.True(mask.Contains(0), "the batch should contain padding");
        var (ortHidden, ortShape) = RunOnnxRuntime(ids, mask, shape);

        using var _ = no_grad();
        var hidden = fixture.Model.call(encoded.Ids, encoded.Mask);
        Assert.Equal(ortShape, hidden.shape);
        var ort = tensor(ortHidden, ortShape);
        // Every real token's state (padding rows are never used and BERT leaves them meaningless).
        var keep = encoded.Mask.to(ScalarType.Bool).unsqueeze(-1);
        double maxAbs = (hidden - ort).abs().masked_select(keep).max().item<float>();
        double scale = ort.abs().max().item<float>();
        output.WriteLine($"last_hidden_state [{string.Join(", ", hidden.shape)}]: max |ORT - TorchSharp| = {maxAbs:E2} (largest value {scale:F2})");
        Assert.True(maxAbs < 1e-4, $"token states differ from ONNX Runtime's by {maxAbs:E2}");
        Assert.True(scale > 1);

        // Sentence embeddings: masked mean of ORT's states, L2-normalised, against the encoder's own pooling.
        using var sentenceModel = fixture.Weights.CreateModel(BertPooling.MeanNormalized);
        var embedding = sentenceModel.call(encoded.Ids, encoded.Mask);
        var m = encoded.Mask.to(ScalarType.Float32).unsqueeze(-1);
        var expected = nn.functional.normalize((ort * m).sum(1) / m.sum(1), p: 2, dim: 1);
        double embeddingDiff = (embedding - expected).abs().max().item<float>();
        output.WriteLine($"sentence embeddings (N, 384): max difference {embeddingDiff:E2}");
        Assert.True(embeddingDiff < 1e-5, $"sentence embeddings differ by {embeddingDiff:E2}");
        Assert.Equal([Sentences.Length, 384L], embedding.shape);

        // The paraphrase pair is the most similar pair of the batch, far above the unrelated sentences.
        var similarity = embedding.matmul(embedding.t());
        float paraphrase = similarity[0, 1].item<float>(), unrelated = similarity[0, 2].item<float>();
        output.WriteLine($"cosine(guitar, guitar paraphrase) = {paraphrase:F3}; cosine(guitar, revenue) = {unrelated:F3}");
        Assert.True(paraphrase > unrelated + 0.3f, $"paraphrase {paraphrase}, unrelated {unrelated}");
    }

    [Fact]
    public void Sizes_are_read_from_the_graph_and_every_weight_is_mapped()
    {
        var w = fixture.Weights;
        Assert.Equal(BertConfig.MiniLmL6, w.Config);
        // 6 layers × (6 linear × 2 + 2 LayerNorm × 2) + 3 embeddings + 2 embedding LayerNorm.
        Assert.Equal(6 * 16 + 5, w.StateDict.Count);
        // The unnamed MatMul weights: by graph position, transposed to Linear's [out, in].
        Assert.Matches(@"^\d+$", w.Sources["encoder.layer.0.attention.self.query.weight"]);
        Assert.Equal([1536L, 384], w.StateDict["encoder.layer.3.intermediate.dense.weight"].shape);
        Assert.Equal([384L, 1536], w.StateDict["encoder.layer.3.output.dense.weight"].shape);
        Assert.Equal(w.StateDict.Count, w.Sources.Values.Distinct().Count());
    }

    [Fact]
    public void Every_rule_relevant_operation_is_its_own_module_used_once()
    {
        var counts = new Dictionary<string, int>();
        var removers = new List<Action>();
        foreach (var (name, module) in fixture.Model.named_modules())
            if (module is nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> single)
            {
                var remover = single.register_forward_hook((_, _, _) => { counts[name] = counts.GetValueOrDefault(name) + 1; return null!; });
                removers.Add(remover.remove);
            }
            else if (module is nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> pair)
            {
                var remover = pair.register_forward_hook((_, _, _, _) => { counts[name] = counts.GetValueOrDefault(name) + 1; return null!; });
                removers.Add(remover.remove);
            }
        try
        {
            using var encoded = fixture.Tokenizer.Encode("Cats sleep.");
            using var _ = no_grad();
            using var h = fixture.Model.call(encoded.Ids, encoded.Mask);
        }
        finally
        {
            foreach (var r in removers) r();
        }
        var modules = fixture.Model.named_modules().ToDictionary(m => m.name, m => m.module);
        int Count<T>() => modules.Count(m => m.Value is T);
        Assert.Equal(6, Count<GELU>());
        Assert.Equal(13, Count<LayerNorm>());
        Assert.Equal(6, Count<Softmax>());
        Assert.Equal(12, Count<MatrixProduct>());
        Assert.Equal(14, Count<Addition>());
        foreach (var (name, module) in modules)
            if (module is GELU or LayerNorm or Softmax or MatrixProduct or Addition or Linear or Embedding)
                Assert.True(counts.GetValueOrDefault(name) == 1, $"{name} ran {counts.GetValueOrDefault(name)} times");
        Assert.Equal(fixture.Model.AttentionLayers, modules.Where(m => m.Value is Softmax).Select(m => m.Key));
    }

    [Fact]
    public void The_tokenizer_matches_the_models_vocabulary()
    {
        var ids = fixture.Tokenizer.EncodeToIds("Hello, World!");
        // BERT-uncased vocabulary: [CLS] hello , world ! [SEP]
        Assert.Equal(new[] { "[CLS]", "hello", ",", "world", "!", "[SEP]" }, fixture.Tokenizer.TokensOf(ids));
        Assert.Equal(101, ids[0]);
        Assert.Equal(102, ids[^1]);
        var pieces = fixture.Tokenizer.TokensOf(fixture.Tokenizer.EncodeToIds("tokenization"));
        Assert.Contains(pieces, p => p.StartsWith("##", StringComparison.Ordinal));
        var longText = string.Join(" ", Enumerable.Repeat("word", 1000));
        Assert.Equal(PretrainedMiniLM.MaxTokens, fixture.Tokenizer.EncodeToIds(longText).Count);
    }

    [Fact]
    public void A_file_that_is_not_an_assembly_is_refused_with_a_typed_error()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "not a portable executable");
            var e = Assert.Throws<OnnxImportException>(() => PretrainedMiniLM.ReadResource(path, PretrainedMiniLM.ModelResource));
            Assert.Contains("not a .NET assembly", e.Message);
            Assert.Throws<FileNotFoundException>(() => PretrainedMiniLM.ReadResource(path + ".missing", PretrainedMiniLM.ModelResource));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_assembly_without_the_resource_is_refused_naming_the_resource()
    {
        var e = Assert.Throws<OnnxImportException>(() => PretrainedMiniLM.ReadResource(typeof(MiniLmTests).Assembly.Location, PretrainedMiniLM.ModelResource));
        Assert.Contains(PretrainedMiniLM.ModelResource, e.Message);
    }

    [Fact]
    public void A_convolutional_network_is_not_taken_for_a_BERT()
    {
        var e = Assert.Throws<OnnxImportException>(() => BertOnnxImporter.Import(PretrainedResNet18.NetworkPath));
        Assert.Contains("not a BERT encoder", e.Message);
    }

    [Fact]
    public void A_missing_weight_is_named()
    {
        // Drop the unnamed weight of layer 2's value projection.
        string dropped = fixture.Weights.Sources["encoder.layer.2.attention.self.value.weight"];
        var withoutWeight = OnnxEditor.EditInitializers(fixture.OnnxBytes, (name, bytes) => name == dropped ? null : bytes);
        var e = Assert.Throws<OnnxImportException>(() => BertOnnxImporter.Import(OnnxModelReader.Read(withoutWeight, "edited.onnx")));
        Assert.Contains("attention.self.value", e.Message);

    }
}
