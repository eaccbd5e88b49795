using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using static TorchSharp.torch;

namespace FluentAttrib.Onnx.Tests;

/// <summary>
/// Small ONNX graphs written with ONNX's own protobuf types, each with the same computation in TorchSharp beside it,
/// so that a method run through ONNX Runtime can be compared with the same method on the TorchSharp function.
/// </summary>
internal static class TestGraphs
{
    private const int Float = (int)TensorProto.Types.DataType.Float, Int64 = (int)TensorProto.Types.DataType.Int64;

    /// <summary>Weights drawn from a fixed seed.</summary>
    public static float[] Weights(int seed, int count)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    /// <summary>y = tanh(x W + b): x [batch, 6] float, y [batch, 3]; batch "N" (dynamic) or the given fixed size.</summary>
    public static (InferenceSession Session, Func<Tensor, Tensor> Torch) Mlp(int? fixedBatch = null)
    {
        var w = Weights(1, 18);
        var b = Weights(2, 3);
        var graph = new GraphProto { Name = "mlp" };
        graph.Input.Add(Value("x", Float, Batch(fixedBatch), 6));
        graph.Output.Add(Value("y", Float, Batch(fixedBatch), 3));
        graph.Initializer.Add(Floats("W", w, 6, 3));
        graph.Initializer.Add(Floats("b", b, 3));
        graph.Node.Add(Node("MatMul", ["x", "W"], ["xw"]));
        graph.Node.Add(Node("Add", ["xw", "b"], ["z"]));
        graph.Node.Add(Node("Tanh", ["z"], ["y"]));
        var tw = tensor(w, [6, 3]);
        var tb = tensor(b);
        return (Session(graph), x => tanh(x.matmul(tw) + tb));
    }

    /// <summary>
    /// Two inputs a, b [N, 4] and two outputs: y = a Wa + (b ⊙ b) Wb [N, 2] and z = a Wa [N, 2].
    /// </summary>
    public static (InferenceSession Session, Func<Tensor, Tensor, Tensor> Y) TwoInputs()
    {
        var wa = Weights(3, 8);
        var wb = Weights(4, 8);
        var graph = new GraphProto { Name = "two_inputs" };
        graph.Input.Add(Value("a", Float, Batch(null), 4));
        graph.Input.Add(Value("b", Float, Batch(null), 4));
        graph.Output.Add(Value("y", Float, Batch(null), 2));
        graph.Output.Add(Value("z", Float, Batch(null), 2));
        graph.Initializer.Add(Floats("Wa", wa, 4, 2));
        graph.Initializer.Add(Floats("Wb", wb, 4, 2));
        graph.Node.Add(Node("MatMul", ["a", "Wa"], ["z"]));
        graph.Node.Add(Node("Mul", ["b", "b"], ["bb"]));
        graph.Node.Add(Node("MatMul", ["bb", "Wb"], ["bw"]));
        graph.Node.Add(Node("Add", ["z", "bw"], ["y"]));
        var twa = tensor(wa, [4, 2]);
        var twb = tensor(wb, [4, 2]);
        return (Session(graph), (a, b) => a.matmul(twa) + (b * b).matmul(twb));
    }

    /// <summary>Token ids [N, 5] int64 → mean of their 3-d embeddings (a table of 10) [N, 3].</summary>
    public static (InferenceSession Session, Func<Tensor, Tensor> Torch) Tokens()
    {
        var e = Weights(5, 30);
        var graph = new GraphProto { Name = "tokens" };
        graph.Input.Add(Value("ids", Int64, Batch(null), 5));
        graph.Output.Add(Value("pooled", Float, Batch(null), 3));
        graph.Initializer.Add(Floats("E", e, 10, 3));
        graph.Node.Add(Node("Gather", ["E", "ids"], ["embedded"]));
        var mean = Node("ReduceMean", ["embedded"], ["pooled"]);
        mean.Attribute.Add(new AttributeProto { Name = "axes", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 1 } });
        mean.Attribute.Add(new AttributeProto { Name = "keepdims", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
        graph.Node.Add(mean);
        var te = tensor(e, [10, 3]);
        return (Session(graph), ids => te.index_select(0, ids.flatten()).reshape(ids.shape[0], 5, 3).mean([1]));
    }

    /// <summary>The ONNX file at <paramref name="path"/> with its inputs' and outputs' first dimension made dynamic ("N").</summary>
    public static byte[] WithDynamicBatch(string path)
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        model.Graph.SetDim();
        return model.ToByteArray();
    }

    private static InferenceSession Session(GraphProto graph)
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = "FluentAttrib.Onnx.Tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return new InferenceSession(model.ToByteArray());
    }

    private static TensorShapeProto.Types.Dimension Batch(int? fixedBatch) =>
        fixedBatch is { } n ? new TensorShapeProto.Types.Dimension { DimValue = n } : new TensorShapeProto.Types.Dimension { DimParam = "N" };

    private static ValueInfoProto Value(string name, int type, TensorShapeProto.Types.Dimension batch, params long[] rest)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(batch);
        foreach (var d in rest) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = type, Shape = shape } } };
    }

    private static TensorProto Floats(string name, float[] values, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = Float };
        t.Dims.AddRange(dims);
        t.FloatData.AddRange(values);
        return t;
    }

    private static NodeProto Node(string op, string[] inputs, string[] outputs)
    {
        var node = new NodeProto { OpType = op, Name = $"{op}_{outputs[0]}" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        return node;
    }
}
