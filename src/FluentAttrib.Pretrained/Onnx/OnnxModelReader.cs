using System.Buffers.Binary;

namespace FluentAttrib.Pretrained.Onnx;

/// <summary>
/// A file is not an ONNX model this library can import, or its content is not what the importer expects. The
/// message names the file and says what is wrong; <see cref="Path"/> holds the file.
/// </summary>
public sealed class OnnxImportException : Exception
{
    /// <summary>Creates the exception for <paramref name="path"/>; the message is prefixed with the file name.</summary>
    public OnnxImportException(string path, string problem, Exception? inner = null)
        : base($"{path}: {problem}", inner)
    {
        Path = path;
        Problem = problem;
    }

    /// <summary>Creates the exception.</summary>
    public OnnxImportException() : this("", "") { }

    /// <summary>Creates the exception.</summary>
    public OnnxImportException(string message) : base(message)
    {
        Path = "";
        Problem = message;
    }

    /// <summary>Creates the exception.</summary>
    public OnnxImportException(string message, Exception inner) : base(message, inner)
    {
        Path = "";
        Problem = message;
    }

    /// <summary>The file that could not be imported.</summary>
    public string Path { get; }

    /// <summary>What is wrong with it, without the file name.</summary>
    public string Problem { get; }
}

/// <summary>
/// Reads the graph of an ONNX file (<c>ModelProto</c>: IR version, operator sets, and of <c>graph</c> its nodes,
/// initializers, inputs and outputs) with a small wire-format reader of its own: no ONNX Runtime, no protobuf
/// runtime. Everything else in the file is skipped. Tensors stored outside the file are refused.
/// </summary>
public static class OnnxModelReader
{
    // ModelProto
    private const int ModelIrVersion = 1, ModelOpsetImport = 8, ModelProducerName = 2, ModelProducerVersion = 3, ModelGraph = 7;
    // OperatorSetIdProto
    private const int OpsetDomain = 1, OpsetVersion = 2;
    // GraphProto
    private const int GraphNode = 1, GraphInitializer = 5, GraphInput = 11, GraphOutput = 12;
    // NodeProto
    private const int NodeInput = 1, NodeOutput = 2, NodeName = 3, NodeOpType = 4, NodeAttribute = 5;
    // AttributeProto
    private const int AttrName = 1, AttrF = 2, AttrI = 3, AttrS = 4, AttrT = 5, AttrFloats = 7, AttrInts = 8;
    // TensorProto
    private const int TensorDims = 1, TensorDataType = 2, TensorFloatData = 4, TensorInt64Data = 7, TensorName = 8,
        TensorRawData = 9, TensorExternalData = 13, TensorDataLocation = 14;
    // ValueInfoProto, TypeProto, TypeProto.Tensor, TensorShapeProto, Dimension
    private const int ValueName = 1, ValueType = 2, TypeTensor = 1, TensorElemType = 1, TensorShape = 2, ShapeDim = 1, DimValue = 1;

    /// <summary>Reads the ONNX model in <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="OnnxImportException">The file is not a readable ONNX model (the message says why and where).</exception>
    public static OnnxModel Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"There is no ONNX model at {path}.", path);
        byte[] bytes = File.ReadAllBytes(path);
        return Read(bytes, path);
    }

    /// <summary>Reads an ONNX model from memory; <paramref name="path"/> only names it in messages.</summary>
    /// <exception cref="OnnxImportException">The bytes are not a readable ONNX model.</exception>
    public static OnnxModel Read(ReadOnlySpan<byte> bytes, string path)
    {
        if (bytes.Length == 0) throw new OnnxImportException(path, "the file is empty, not an ONNX model.");
        try
        {
            return ReadModel(new ProtoReader(bytes), path, bytes.Length);
        }
        catch (ProtoFormatException e)
        {
            throw new OnnxImportException(path,
                $"not a readable ONNX model: at byte {e.Offset:N0} of {bytes.Length:N0}, {e.Message}.", e);
        }
    }

    private static OnnxModel ReadModel(ProtoReader reader, string path, int length)
    {
        long? irVersion = null;
        var opsets = new Dictionary<string, long>();
        string producer = "", producerVersion = "";
        Graph? graph = null;
        while (reader.TryReadKey(out int field, out WireType type))
        {
            switch (field)
            {
                case ModelIrVersion when type == WireType.Varint: irVersion = reader.ReadInt64(); break;
                case ModelProducerName when type == WireType.LengthDelimited: producer = reader.ReadString(); break;
                case ModelProducerVersion when type == WireType.LengthDelimited: producerVersion = reader.ReadString(); break;
                case ModelOpsetImport when type == WireType.LengthDelimited:
                    var (domain, version) = ReadOpset(reader.ReadMessage());
                    opsets[domain] = version;
                    break;
                case ModelGraph when type == WireType.LengthDelimited:
                    graph = ReadGraph(reader.ReadMessage());
                    break;
                default: reader.Skip(type); break;
            }
        }
        if (irVersion is null || graph is null)
        {
            string missing = irVersion is null && graph is null ? "neither an IR version nor a graph"
                : irVersion is null ? "no IR version" : "no graph";
            throw new OnnxImportException(path,
                $"not an ONNX model: its {length:N0} bytes parse as protocol-buffer fields but hold {missing}.");
        }
        if (graph.Nodes.Count == 0)
            throw new OnnxImportException(path, "the ONNX model's graph has no nodes.");
        string producerText = string.IsNullOrEmpty(producerVersion) ? producer : $"{producer} {producerVersion}";
        return new OnnxModel(path, irVersion.Value, opsets, producerText, graph.Nodes, graph.Initializers,
            graph.Inputs.Where(i => !graph.Initializers.ContainsKey(i.Name)).ToArray(), graph.Outputs);
    }

    private static (string Domain, long Version) ReadOpset(ProtoReader reader)
    {
        string domain = "";
        long version = 0;
        while (reader.TryReadKey(out int field, out WireType type))
        {
            if (field == OpsetDomain && type == WireType.LengthDelimited) domain = reader.ReadString();
            else if (field == OpsetVersion && type == WireType.Varint) version = reader.ReadInt64();
            else reader.Skip(type);
        }
        return (domain, version);
    }

    private sealed record Graph(List<OnnxNode> Nodes, Dictionary<string, OnnxTensor> Initializers,
        List<OnnxValueInfo> Inputs, List<OnnxValueInfo> Outputs);

    private static Graph ReadGraph(ProtoReader reader)
    {
        var graph = new Graph([], [], [], []);
        while (reader.TryReadKey(out int field, out WireType type))
        {
            switch (field)
            {
                case GraphNode when type == WireType.LengthDelimited:
                    graph.Nodes.Add(ReadNode(reader.ReadMessage()));
                    break;
                case GraphInitializer when type == WireType.LengthDelimited:
                    long offset = reader.Offset;
                    var tensor = ReadTensor(reader.ReadMessage());
                    if (!graph.Initializers.TryAdd(tensor.Name, tensor))
                        throw new ProtoFormatException($"a second initializer is called '{tensor.Name}'", offset);
                    break;
                case GraphInput when type == WireType.LengthDelimited:
                    graph.Inputs.Add(ReadValueInfo(reader.ReadMessage()));
                    break;
                case GraphOutput when type == WireType.LengthDelimited:
                    graph.Outputs.Add(ReadValueInfo(reader.ReadMessage()));
                    break;
                default: reader.Skip(type); break;
            }
        }
        return graph;
    }

    private static OnnxNode ReadNode(ProtoReader reader)
    {
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new List<OnnxAttribute>();
        string name = "", opType = "";
        while (reader.TryReadKey(out int field, out WireType type))
        {
            switch (field)
            {
                case NodeInput when type == WireType.LengthDelimited: inputs.Add(reader.ReadString()); break;
                case NodeOutput when type == WireType.LengthDelimited: outputs.Add(reader.ReadString()); break;
                case NodeName when type == WireType.LengthDelimited: name = reader.ReadString(); break;
                case NodeOpType when type == WireType.LengthDelimited: opType = reader.ReadString(); break;
                case NodeAttribute when type == WireType.LengthDelimited: attributes.Add(ReadAttribute(reader.ReadMessage())); break;
                default: reader.Skip(type); break;
            }
        }
        return new OnnxNode(name, opType, [.. inputs], [.. outputs], [.. attributes]);
    }

    private static OnnxAttribute ReadAttribute(ProtoReader reader)
    {
        string name = "";
        float? f = null;
        long? i = null;
        string? s = null;
        OnnxTensor? t = null;
        var ints = new List<long>();
        var floats = new List<float>();
        while (reader.TryReadKey(out int field, out WireType type))
        {
            switch (field)
            {
                case AttrName when type == WireType.LengthDelimited: name = reader.ReadString(); break;
                case AttrF when type == WireType.Fixed32: f = reader.ReadFloat(); break;
                case AttrI when type == WireType.Varint: i = reader.ReadInt64(); break;
                case AttrS when type == WireType.LengthDelimited: s = reader.ReadString(); break;
                case AttrT when type == WireType.LengthDelimited: t = ReadTensor(reader.ReadMessage()); break;
                case AttrInts: reader.ReadRepeatedInt64(type, ints); break;
                case AttrFloats: ReadRepeatedFloat(ref reader, type, floats); break;
                default: reader.Skip(type); break;
            }
        }
        return new OnnxAttribute(name, f, i, s, t, [.. ints], [.. floats]);
    }

    private static void ReadRepeatedFloat(ref ProtoReader reader, WireType type, List<float> into)
    {
        if (type == WireType.Fixed32)
        {
            into.Add(reader.ReadFloat());
            return;
        }
        reader.Expect(type, WireType.LengthDelimited, "a repeated float");
        var packed = reader.ReadBytes(out long offset);
        if (packed.Length % 4 != 0)
            throw new ProtoFormatException($"a packed float list has {packed.Length} bytes, not a multiple of 4", offset);
        for (int k = 0; k < packed.Length; k += 4)
            into.Add(BinaryPrimitives.ReadSingleLittleEndian(packed[k..]));
    }

    private static OnnxTensor ReadTensor(ProtoReader reader)
    {
        long start = reader.Offset;
        var dims = new List<long>();
        var dataType = OnnxDataType.Undefined;
        string name = "";
        var floatData = new List<float>();
        var int64Data = new List<long>();
        ReadOnlySpan<byte> raw = default;
        bool hasRaw = false, external = false;
        while (reader.TryReadKey(out int field, out WireType type))
        {
            switch (field)
            {
                case TensorDims: reader.ReadRepeatedInt64(type, dims); break;
                case TensorDataType when type == WireType.Varint: dataType = (OnnxDataType)reader.ReadInt64(); break;
                case TensorFloatData: ReadRepeatedFloat(ref reader, type, floatData); break;
                case TensorInt64Data: reader.ReadRepeatedInt64(type, int64Data); break;
                case TensorName when type == WireType.LengthDelimited: name = reader.ReadString(); break;
                case TensorRawData when type == WireType.LengthDelimited: raw = reader.ReadBytes(out _); hasRaw = true; break;
                case TensorExternalData: external = true; reader.Skip(type); break;
                case TensorDataLocation when type == WireType.Varint: external |= reader.ReadInt64() == 1; break;
                default: reader.Skip(type); break;
            }
        }
        string label = string.IsNullOrEmpty(name) ? "a tensor" : $"tensor '{name}'";
        if (external)
            throw new ProtoFormatException($"{label} keeps its data in an external file, which this reader does not follow", start);
        if (dims.Any(d => d < 0))
            throw new ProtoFormatException($"{label} has a negative dimension [{string.Join(", ", dims)}]", start);
        long count = dims.Aggregate(1L, (a, b) => a * b);

        float[]? floats = null;
        long[]? int64s = null;
        if (dataType == OnnxDataType.Float)
        {
            floats = hasRaw ? DecodeRaw<float>(raw, count, 4, label, start, BinaryPrimitives.ReadSingleLittleEndian) : [.. floatData];
            if (floats.Length != count)
                throw new ProtoFormatException($"{label} has shape [{string.Join(", ", dims)}] ({count:N0} values) but holds {floats.Length:N0}", start);
        }
        else if (dataType == OnnxDataType.Int64)
        {
            int64s = hasRaw ? DecodeRaw<long>(raw, count, 8, label, start, BinaryPrimitives.ReadInt64LittleEndian) : [.. int64Data];
            if (int64s.Length != count)
                throw new ProtoFormatException($"{label} has shape [{string.Join(", ", dims)}] ({count:N0} values) but holds {int64s.Length:N0}", start);
        }
        return new OnnxTensor(name, [.. dims], dataType, floats, int64s);
    }

    private delegate T ReadValue<T>(ReadOnlySpan<byte> source);

    private static T[] DecodeRaw<T>(ReadOnlySpan<byte> raw, long count, int size, string label, long offset, ReadValue<T> read)
    {
        if (raw.Length != count * size)
            throw new ProtoFormatException($"{label} should hold {count:N0} values ({count * size:N0} bytes) but its raw data has {raw.Length:N0} bytes", offset);
        var values = new T[count];
        for (int k = 0; k < values.Length; k++) values[k] = read(raw.Slice(k * size, size));
        return values;
    }

    private static OnnxValueInfo ReadValueInfo(ProtoReader reader)
    {
        string name = "";
        var elementType = OnnxDataType.Undefined;
        var shape = new List<long>();
        while (reader.TryReadKey(out int field, out WireType type))
        {
            if (field == ValueName && type == WireType.LengthDelimited) name = reader.ReadString();
            else if (field == ValueType && type == WireType.LengthDelimited)
            {
                var typeProto = reader.ReadMessage();
                while (typeProto.TryReadKey(out int tf, out WireType tt))
                {
                    if (tf != TypeTensor || tt != WireType.LengthDelimited) { typeProto.Skip(tt); continue; }
                    var tensorType = typeProto.ReadMessage();
                    while (tensorType.TryReadKey(out int xf, out WireType xt))
                    {
                        if (xf == TensorElemType && xt == WireType.Varint) elementType = (OnnxDataType)tensorType.ReadInt64();
                        else if (xf == TensorShape && xt == WireType.LengthDelimited) ReadShape(tensorType.ReadMessage(), shape);
                        else tensorType.Skip(xt);
                    }
                }
            }
            else reader.Skip(type);
        }
        return new OnnxValueInfo(name, elementType, shape);
    }

    private static void ReadShape(ProtoReader reader, List<long> shape)
    {
        while (reader.TryReadKey(out int field, out WireType type))
        {
            if (field != ShapeDim || type != WireType.LengthDelimited) { reader.Skip(type); continue; }
            var dim = reader.ReadMessage();
            long value = -1;
            while (dim.TryReadKey(out int df, out WireType dt))
            {
                if (df == DimValue && dt == WireType.Varint) value = dim.ReadInt64();
                else dim.Skip(dt);
            }
            shape.Add(value);
        }
    }
}
