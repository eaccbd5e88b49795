namespace FluentAttrib.Pretrained.Onnx;

/// <summary>ONNX's <c>TensorProto.DataType</c> values that the importer reads.</summary>
public enum OnnxDataType
{
    /// <summary>Not set.</summary>
    Undefined = 0,
    /// <summary>32-bit float.</summary>
    Float = 1,
    /// <summary>Unsigned byte.</summary>
    UInt8 = 2,
    /// <summary>Signed byte.</summary>
    Int8 = 3,
    /// <summary>32-bit integer.</summary>
    Int32 = 6,
    /// <summary>64-bit integer.</summary>
    Int64 = 7,
    /// <summary>Text.</summary>
    String = 8,
    /// <summary>Boolean.</summary>
    Bool = 9,
    /// <summary>16-bit float.</summary>
    Float16 = 10,
    /// <summary>64-bit float.</summary>
    Double = 11,
}

/// <summary>A tensor stored in an ONNX file: an initializer or a constant attribute. Float and int64 data are decoded.</summary>
public sealed class OnnxTensor
{
    internal OnnxTensor(string name, long[] dims, OnnxDataType dataType, float[]? floats, long[]? int64s)
    {
        Name = name;
        Dims = dims;
        DataType = dataType;
        Floats = floats;
        Int64s = int64s;
    }

    /// <summary>Its name in the graph (empty for a constant attribute without one).</summary>
    public string Name { get; }

    /// <summary>Its shape.</summary>
    public IReadOnlyList<long> Dims { get; }

    /// <summary>Its element type.</summary>
    public OnnxDataType DataType { get; }

    /// <summary>The values of a <see cref="OnnxDataType.Float"/> tensor in row-major order; null for other types.</summary>
    public float[]? Floats { get; }

    /// <summary>The values of an <see cref="OnnxDataType.Int64"/> tensor; null for other types.</summary>
    public long[]? Int64s { get; }

    /// <summary>Number of elements its shape gives.</summary>
    public long ElementCount => Dims.Aggregate(1L, (a, b) => a * b);

    /// <summary>Its shape as text, e.g. <c>[64, 3, 7, 7]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Dims) + "]";
}

/// <summary>An attribute of a node (only the kinds a convolutional network uses are decoded).</summary>
public sealed class OnnxAttribute
{
    internal OnnxAttribute(string name, float? f, long? i, string? s, OnnxTensor? t, long[] ints, float[] floats)
    {
        Name = name;
        Float = f;
        Int = i;
        String = s;
        Tensor = t;
        Ints = ints;
        Floats = floats;
    }

    /// <summary>The attribute's name, e.g. <c>strides</c>.</summary>
    public string Name { get; }
    /// <summary>Its value if it is a float.</summary>
    public float? Float { get; }
    /// <summary>Its value if it is an integer.</summary>
    public long? Int { get; }
    /// <summary>Its value if it is text.</summary>
    public string? String { get; }
    /// <summary>Its value if it is a tensor.</summary>
    public OnnxTensor? Tensor { get; }
    /// <summary>Its values if it is a list of integers (else empty).</summary>
    public IReadOnlyList<long> Ints { get; }
    /// <summary>Its values if it is a list of floats (else empty).</summary>
    public IReadOnlyList<float> Floats { get; }
}

/// <summary>One operator of the graph.</summary>
public sealed class OnnxNode
{
    internal OnnxNode(string name, string opType, string[] inputs, string[] outputs, OnnxAttribute[] attributes)
    {
        Name = name;
        OpType = opType;
        Inputs = inputs;
        Outputs = outputs;
        Attributes = attributes;
    }

    /// <summary>The node's name (may be empty).</summary>
    public string Name { get; }
    /// <summary>The operator, e.g. <c>Conv</c>.</summary>
    public string OpType { get; }
    /// <summary>Names of the values it reads (an empty name is an omitted optional input).</summary>
    public IReadOnlyList<string> Inputs { get; }
    /// <summary>Names of the values it writes.</summary>
    public IReadOnlyList<string> Outputs { get; }
    /// <summary>Its attributes.</summary>
    public IReadOnlyList<OnnxAttribute> Attributes { get; }

    /// <summary>The attribute called <paramref name="name"/>, or null.</summary>
    public OnnxAttribute? Attribute(string name) => Attributes.FirstOrDefault(a => a.Name == name);

    /// <summary>The integer list attribute called <paramref name="name"/>, or <paramref name="fallback"/> when absent.</summary>
    public IReadOnlyList<long> Ints(string name, params long[] fallback) => Attribute(name)?.Ints is { Count: > 0 } v ? v : fallback;

    /// <summary>The name used in error messages: its name, or its operator and first output.</summary>
    public string Display => string.IsNullOrEmpty(Name) ? $"{OpType} → {Outputs.FirstOrDefault()}" : $"{OpType} '{Name}'";
}

/// <summary>A graph input or output: its name and shape (a symbolic or unknown dimension is -1).</summary>
public sealed record OnnxValueInfo(string Name, OnnxDataType ElementType, IReadOnlyList<long> Shape);

/// <summary>
/// The parts of an ONNX <c>ModelProto</c> that importing weights needs: versions, the graph's nodes in order, its
/// initializers, inputs and outputs. Read with <see cref="OnnxModelReader"/>.
/// </summary>
public sealed class OnnxModel
{
    internal OnnxModel(string path, long irVersion, IReadOnlyDictionary<string, long> opsets, string producer,
        IReadOnlyList<OnnxNode> nodes, IReadOnlyDictionary<string, OnnxTensor> initializers,
        IReadOnlyList<OnnxValueInfo> inputs, IReadOnlyList<OnnxValueInfo> outputs)
    {
        Path = path;
        IrVersion = irVersion;
        Opsets = opsets;
        Producer = producer;
        Nodes = nodes;
        Initializers = initializers;
        Inputs = inputs;
        Outputs = outputs;
    }

    /// <summary>The file it was read from.</summary>
    public string Path { get; }
    /// <summary>The ONNX IR version.</summary>
    public long IrVersion { get; }
    /// <summary>Operator-set versions by domain (the default domain is the empty string).</summary>
    public IReadOnlyDictionary<string, long> Opsets { get; }
    /// <summary>The producer name and version, as written by the exporter.</summary>
    public string Producer { get; }
    /// <summary>The graph's nodes in file order (ONNX requires topological order).</summary>
    public IReadOnlyList<OnnxNode> Nodes { get; }
    /// <summary>The graph's initializers by name.</summary>
    public IReadOnlyDictionary<string, OnnxTensor> Initializers { get; }
    /// <summary>The graph's inputs that are not initializers.</summary>
    public IReadOnlyList<OnnxValueInfo> Inputs { get; }
    /// <summary>The graph's outputs.</summary>
    public IReadOnlyList<OnnxValueInfo> Outputs { get; }
}
