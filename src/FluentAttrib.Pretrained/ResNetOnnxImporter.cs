using FluentAttrib.Pretrained.Onnx;
using static TorchSharp.torch;

namespace FluentAttrib.Pretrained;

/// <summary>
/// The weights of a ResNet read from an ONNX file, under TorchVision's state-dict names. Owns its tensors.
/// </summary>
public sealed class ImportedResNet : IDisposable
{
    internal ImportedResNet(string path, IReadOnlyList<int> layout, Dictionary<string, Tensor> stateDict,
        IReadOnlyDictionary<string, string> sources, string inputName, string outputName)
    {
        Path = path;
        Layout = layout;
        StateDict = stateDict;
        Sources = sources;
        InputName = inputName;
        OutputName = outputName;
    }

    /// <summary>The ONNX file.</summary>
    public string Path { get; }

    /// <summary>Blocks per stage, e.g. [2, 2, 2, 3].</summary>
    public IReadOnlyList<int> Layout { get; }

    /// <summary>
    /// The backbone's state dict (float32 on the CPU): <c>conv1.weight</c>, <c>bn1.*</c>,
    /// <c>layerN.M.conv1/bn1/conv2/bn2.*</c>, <c>layerN.0.downsample.0/1.*</c>; batch norms give <c>weight</c>,
    /// <c>bias</c>, <c>running_mean</c>, <c>running_var</c> and <c>num_batches_tracked</c> (0). No <c>fc</c>.
    /// </summary>
    public Dictionary<string, Tensor> StateDict { get; }

    /// <summary>For each state-dict name taken from the file, the ONNX initializer it came from.</summary>
    public IReadOnlyDictionary<string, string> Sources { get; }

    /// <summary>The ONNX graph's image input.</summary>
    public string InputName { get; }

    /// <summary>The ONNX graph's output: the pooled features.</summary>
    public string OutputName { get; }

    /// <summary>Builds TorchVision's ResNet in this layout with a <paramref name="numClasses"/>-way head and loads the backbone.</summary>
    public TorchSharp.Modules.ResNet CreateModel(int numClasses)
    {
        var model = ResNets.Create(Layout, numClasses);
        try
        {
            ResNets.LoadBackbone(model, StateDict);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        return model;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in StateDict.Values) t.Dispose();
        StateDict.Clear();
    }
}

/// <summary>
/// Imports the weights of a ResNet with basic blocks (ResNet-18/34 style, batch norm not folded) from an ONNX file,
/// such as the ImageNet-pretrained <c>ResNet18.onnx</c> of ML.NET's <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>.
/// </summary>
/// <remarks>
/// The graph is followed from its input, not matched by node order or names: Conv 7×7/2 → BatchNormalization → Relu →
/// MaxPool 3×3/2 is the stem; each block is Conv 3×3 → BN → Relu → Conv 3×3 → BN → Add(shortcut) → Relu, where the
/// shortcut is the block input or Conv 1×1 → BN of it (<c>downsample.0/1</c>); a block with a downsample starts a
/// new stage; a global average pool ends the backbone. Every initializer must be used exactly once and take the
/// shape TorchVision's module has. Convolution and pooling pads must begin as TorchVision's do (3, 1, 0, 1) and
/// may end shorter (CNTK exports write [3,3,2,2]): for even input sizes, such as 224, the results are identical.
/// </remarks>
public static class ResNetOnnxImporter
{
    private const double TorchEpsilon = 1e-5;

    /// <summary>Reads <paramref name="path"/> and maps its initializers to TorchVision's state-dict names.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="OnnxImportException">
    /// The file is not ONNX, is truncated, or is not a basic-block ResNet with the initializers and shapes expected
    /// (the message says which node or initializer and what is wrong).
    /// </exception>
    public static ImportedResNet Import(string path)
    {
        var model = OnnxModelReader.Read(path);
        return Import(model);
    }

    /// <summary>Maps the initializers of an ONNX model already read.</summary>
    /// <exception cref="OnnxImportException">The graph is not a basic-block ResNet as expected.</exception>
    public static ImportedResNet Import(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new Walker(model).Run();
    }

    private sealed class Walker(OnnxModel model)
    {
        private readonly Dictionary<string, List<OnnxNode>> _consumers = Consumers(model);
        private readonly Dictionary<string, Tensor> _state = [];
        private readonly Dictionary<string, string> _sources = [];
        private readonly HashSet<string> _used = [];

        public ImportedResNet Run()
        {
            try
            {
                return Walk();
            }
            catch
            {
                foreach (var t in _state.Values) t.Dispose();
                throw;
            }
        }

        private ImportedResNet Walk()
        {
            // The image input: N×3×H×W. (A weight whose initializer is missing shows up as another graph input; the
            // node reading it reports it below.)
            var images = model.Inputs.Where(i => i.Shape.Count == 4 && i.Shape[1] is (3 or -1) &&
                                                 model.Nodes.Any(n => n.Inputs.Count > 0 && n.Inputs[0] == i.Name)).ToList();
            if (images.Count != 1)
                throw Fail($"a ResNet graph has one N×3×H×W image input; this one has {images.Count} among its inputs " +
                           $"{string.Join(", ", model.Inputs.Select(i => $"{i.Name} [{string.Join(", ", i.Shape)}]"))}.");
            var input = images[0];

            // Stem.
            var conv = Next(input.Name, "Conv", "the graph input");
            Conv(conv, "conv1", kernel: 7, stride: 2, pad: 3, inChannels: 3, outChannels: 64);
            var bn = Next(conv.Outputs[0], "BatchNormalization", $"stem {conv.Display}");
            BatchNorm(bn, "bn1", 64);
            var relu = Next(bn.Outputs[0], "Relu", $"stem {bn.Display}");
            var pool = Next(relu.Outputs[0], "MaxPool", $"stem {relu.Display}");
            CheckWindow(pool, kernel: 3, stride: 2, pad: 1, "the stem's max pool");

            string x = pool.Outputs[0];
            long channels = 64;
            var layout = new List<int>();
            string? output = null;
            for (int guard = 0; output is null; guard++)
            {
                if (guard > 1000) throw Fail("the graph does not end in a global average pool.");
                var consumers = ConsumersOf(x);
                if (consumers.Count == 1 && consumers[0].OpType is "GlobalAveragePool" or "AveragePool")
                {
                    output = consumers[0].Outputs[0];
                    if (consumers[0].OpType == "AveragePool") CheckWindow(consumers[0], kernel: -1, stride: -1, pad: 0, "the final average pool");
                    break;
                }
                // A block input feeds its first 3×3 conv, and its 1×1 downsample conv or else the block's Add.
                var shortcutAdds = consumers.Where(n => n.OpType == "Add").ToList();
                var convs = consumers.Where(n => n.OpType == "Conv").ToList();
                var conv3 = convs.Where(c => Kernel(c) == 3).ToList();
                var conv1x1 = convs.Where(c => Kernel(c) == 1).ToList();
                if (convs.Count + shortcutAdds.Count != consumers.Count || conv3.Count != 1 || conv1x1.Count > 1 ||
                    shortcutAdds.Count + conv1x1.Count != 1)
                    throw Fail($"after '{x}' a basic block (one 3×3 Conv, optionally a 1×1 downsample Conv) or the final average pool was expected; " +
                               $"'{x}' feeds {Describe(consumers)}.");

                bool downsample = conv1x1.Count == 1;
                if (layout.Count == 0 || downsample) layout.Add(0);
                int stage = layout.Count, index = layout[^1]++;
                if (stage > 4) throw Fail($"{conv3[0].Display} starts a fifth stage; a ResNet has four.");
                string prefix = $"layer{stage}.{index}";
                long planes = 64L << (stage - 1);
                int stride = stage > 1 && index == 0 ? 2 : 1;

                var c1 = conv3[0];
                Conv(c1, $"{prefix}.conv1", kernel: 3, stride: stride, pad: 1, inChannels: channels, outChannels: planes);
                var b1 = Next(c1.Outputs[0], "BatchNormalization", c1.Display);
                BatchNorm(b1, $"{prefix}.bn1", planes);
                var r1 = Next(b1.Outputs[0], "Relu", b1.Display);
                var c2 = Next(r1.Outputs[0], "Conv", r1.Display);
                Conv(c2, $"{prefix}.conv2", kernel: 3, stride: 1, pad: 1, inChannels: planes, outChannels: planes);
                var b2 = Next(c2.Outputs[0], "BatchNormalization", c2.Display);
                BatchNorm(b2, $"{prefix}.bn2", planes);
                var add = Next(b2.Outputs[0], "Add", b2.Display);

                string shortcut = x;
                if (downsample)
                {
                    var d0 = conv1x1[0];
                    Conv(d0, $"{prefix}.downsample.0", kernel: 1, stride: stride, pad: 0, inChannels: channels, outChannels: planes);
                    var d1 = Next(d0.Outputs[0], "BatchNormalization", d0.Display);
                    BatchNorm(d1, $"{prefix}.downsample.1", planes);
                    shortcut = d1.Outputs[0];
                }
                else if (channels != planes || stride != 1)
                {
                    throw Fail($"block {prefix} ({c1.Display}) changes the shape from {channels} to {planes} channels or strides by {stride} but has no 1×1 downsample Conv.");
                }
                if (!downsample && shortcutAdds[0] != add)
                    throw Fail($"block {prefix}'s input '{x}' is added by {shortcutAdds[0].Display}, not by the block's {add.Display}.");
                var other = add.Inputs.Count == 2 ? add.Inputs.Single(i => i != b2.Outputs[0]) : null;
                if (other != shortcut)
                    throw Fail($"{add.Display} of block {prefix} should add '{b2.Outputs[0]}' and the shortcut '{shortcut}'; it reads {string.Join(", ", add.Inputs)}.");
                var r2 = Next(add.Outputs[0], "Relu", add.Display);
                x = r2.Outputs[0];
                channels = planes;
            }

            if (layout.Count != 4)
                throw Fail($"the backbone has {layout.Count} stages ([{string.Join(", ", layout)}]); a ResNet has four.");
            if (!model.Outputs.Any(o => o.Name == output))
                throw Fail($"the final average pool writes '{output}', which is not an output of the graph ({string.Join(", ", model.Outputs.Select(o => o.Name))}).");
            var unused = model.Initializers.Keys.Where(k => !_used.Contains(k)).ToList();
            if (unused.Count > 0)
                throw Fail($"{unused.Count} initializer(s) are not used by the ResNet's layers: {string.Join(", ", unused.Take(10))}.");

            return new ImportedResNet(model.Path, layout, new Dictionary<string, Tensor>(_state), _sources, input.Name, output);
        }

        private void Conv(OnnxNode node, string name, int kernel, int stride, int pad, long inChannels, long outChannels)
        {
            if (node.Inputs.Count > 2 && node.Inputs[2].Length > 0)
                throw Fail($"{node.Display} ({name}) has a bias '{node.Inputs[2]}'; TorchVision's ResNet convolutions have none (was batch norm folded into it?).");
            if (node.Attribute("group")?.Int is long g && g != 1)
                throw Fail($"{node.Display} ({name}) is a grouped convolution (group {g}); a basic block's are not.");
            if (node.Ints("dilations", 1, 1).Any(d => d != 1))
                throw Fail($"{node.Display} ({name}) is dilated; TorchVision's ResNet-18/34 convolutions are not.");
            CheckWindow(node, kernel, stride, pad, $"{node.Display} ({name})");
            Take(node, 1, $"{name}.weight", [outChannels, inChannels, kernel, kernel]);
        }

        private void BatchNorm(OnnxNode node, string name, long channels)
        {
            if (node.Inputs.Count != 5)
                throw Fail($"{node.Display} ({name}) has {node.Inputs.Count} inputs; BatchNormalization takes X, scale, B, mean, var.");
            float epsilon = node.Attribute("epsilon")?.Float ?? 1e-5f;
            if (Math.Abs(epsilon - TorchEpsilon) > 1e-9)
                throw Fail($"{node.Display} ({name}) uses epsilon {epsilon}; TorchVision's BatchNorm2d uses {TorchEpsilon}.");
            if (node.Attribute("spatial")?.Int is long spatial && spatial != 1)
                throw Fail($"{node.Display} ({name}) normalizes per position (spatial=0), not per channel.");
            Take(node, 1, $"{name}.weight", [channels]);
            Take(node, 2, $"{name}.bias", [channels]);
            Take(node, 3, $"{name}.running_mean", [channels]);
            Take(node, 4, $"{name}.running_var", [channels]);
            _state[$"{name}.num_batches_tracked"] = tensor(0L);
        }

        private void Take(OnnxNode node, int inputIndex, string key, long[] shape)
        {
            string source = node.Inputs[inputIndex];
            if (!model.Initializers.TryGetValue(source, out var init))
                throw Fail($"{node.Display} reads '{source}' as {key}, but the file has no initializer of that name (missing weights).");
            if (init.DataType != OnnxDataType.Float || init.Floats is null)
                throw Fail($"initializer '{source}' ({key}) is {init.DataType}, not float32.");
            if (!init.Dims.SequenceEqual(shape))
                throw Fail($"initializer '{source}' ({key}) has shape {init.ShapeText}; TorchVision's module needs [{string.Join(", ", shape)}].");
            if (!_used.Add(source))
                throw Fail($"initializer '{source}' is used twice ({key} and {_sources.First(kv => kv.Value == source).Key}).");
            var values = tensor(init.Floats, shape);
            _state[key] = values;
            _sources[key] = source;
        }

        private void CheckWindow(OnnxNode node, int kernel, int stride, int pad, string what)
        {
            var k = node.Ints("kernel_shape");
            if (k.Count != 2 || k[0] != k[1] || (kernel > 0 && k[0] != kernel))
                throw Fail($"{what} has kernel [{string.Join(", ", k)}], expected {(kernel > 0 ? $"{kernel}×{kernel}" : "a square one")}.");
            var s = node.Ints("strides", 1, 1);
            if (s.Count != 2 || s[0] != s[1] || (stride > 0 && s[0] != stride))
                throw Fail($"{what} has strides [{string.Join(", ", s)}], expected {stride}.");
            if (node.Attribute("auto_pad")?.String is { } autoPad && autoPad != "NOTSET")
                throw Fail($"{what} uses auto_pad {autoPad}; explicit pads were expected.");
            var p = node.Ints("pads", 0, 0, 0, 0);
            if (p.Count != 4 || p[0] != pad || p[1] != pad || p[2] > pad || p[3] > pad || p[2] < pad - 1 || p[3] < pad - 1)
                throw Fail($"{what} has pads [{string.Join(", ", p)}]; TorchVision pads {pad} on each side (an export may write one less at the end).");
        }

        private static int Kernel(OnnxNode conv) => conv.Ints("kernel_shape") is { Count: 2 } k && k[0] == k[1] ? (int)k[0] : -1;

        private OnnxNode Next(string value, string opType, string after)
        {
            var consumers = ConsumersOf(value);
            if (consumers.Count != 1 || consumers[0].OpType != opType)
                throw Fail($"after {after}, '{value}' should feed one {opType}; it feeds {Describe(consumers)}.");
            return consumers[0];
        }

        private List<OnnxNode> ConsumersOf(string value) => _consumers.TryGetValue(value, out var list) ? list : [];

        private static string Describe(List<OnnxNode> nodes) =>
            nodes.Count == 0 ? "nothing" : string.Join(", ", nodes.Select(n => n.Display));

        private static Dictionary<string, List<OnnxNode>> Consumers(OnnxModel model)
        {
            var consumers = new Dictionary<string, List<OnnxNode>>();
            foreach (var node in model.Nodes)
                foreach (var input in node.Inputs.Distinct())
                {
                    if (input.Length == 0 || model.Initializers.ContainsKey(input)) continue;
                    if (!consumers.TryGetValue(input, out var list)) consumers[input] = list = [];
                    list.Add(node);
                }
            return consumers;
        }

        private OnnxImportException Fail(string problem) =>
            new(model.Path, $"not a ResNet this importer can map to TorchVision's names: {problem}");
    }
}
