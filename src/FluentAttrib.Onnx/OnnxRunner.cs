using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;
using Tensor = TorchSharp.torch.Tensor;
using static TorchSharp.torch;

namespace FluentAttrib.Onnx;

/// <summary>
/// Runs a session on TorchSharp tensors: converts each tensor once per call (contiguous, CPU, the graph input's element
/// type), hands ONNX Runtime views of its memory row block by row block, and lets ONNX Runtime write the output into
/// one preallocated TorchSharp tensor when the output's non-batch shape is known from the graph.
/// </summary>
internal sealed class OnnxRunner(InferenceSession session)
{
    public InferenceSession Session { get; } = session;

    public string Describe(OnnxModelSettings settings)
    {
        string graph = TryGraphName() is { Length: > 0 } g ? $"the ONNX model '{g}'" : "the ONNX model";
        return settings.Output is { } o ? $"{graph} (output '{o}')" : graph;
    }

    private string? TryGraphName()
    {
        try
        {
            return Session.ModelMetadata.GraphName;
        }
        catch (OnnxRuntimeException)
        {
            return null;
        }
    }

    public static string List(IEnumerable<string> names) => string.Join(", ", names.Select(n => $"'{n}'"));

    public Tensor Run(OnnxModelSettings settings, Tensor[] inputs)
    {
        string output = settings.Output ?? throw new InvalidOperationException(
            $"The ONNX graph has {Session.OutputMetadata.Count} outputs ({List(Session.OutputMetadata.Keys)}): choose the one to explain with Output(name).");
        var names = settings.InputList;
        if (inputs.Length != names.Length)
            throw new ArgumentException(
                $"The ONNX model is fed {names.Length} graph input(s) ({List(names)}) but {inputs.Length} tensor(s) were given " +
                "(attributed inputs plus additional arguments); choose the fed inputs with Inputs(...).", nameof(inputs));
        for (int i = 0; i < inputs.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(inputs[i], $"{nameof(inputs)}[{i}]");
            if (inputs[i].dim() == 0 || inputs[i].shape[0] != inputs[0].shape[0])
                throw new ArgumentException(
                    $"Tensor {i} (graph input '{names[i]}') has shape [{string.Join(", ", inputs[i].shape)}]; every tensor needs the batch size {inputs[0].shape[0]} of tensor 0 as its first dimension.",
                    nameof(inputs));
        }
        long rows = inputs[0].shape[0];
        var device = inputs[0].device;
        int? fixedBatch = FixedBatch(names);
        long perRun = fixedBatch ?? settings.RowsPerRun ?? Math.Max(rows, 1);
        if (fixedBatch is { } fb && settings.RowsPerRun is { } requested && requested != fb)
            throw new ArgumentException(
                $"The ONNX graph's inputs have a fixed batch size of {fb}, so it runs {fb} row(s) at a time; RowsPerRun({requested}) cannot apply.", nameof(inputs));

        var outMeta = Session.OutputMetadata[output];
        var outType = ScalarTypeOf(outMeta.ElementDataType, $"output '{output}'");
        long[]? outRest = outMeta.Dimensions.Length >= 1 && outMeta.Dimensions.Skip(1).All(d => d >= 0)
            ? outMeta.Dimensions.Skip(1).Select(d => (long)d).ToArray()
            : null;

        using var scope = NewDisposeScope();
        var fed = new Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
            fed[i] = Prepare(inputs[i], names[i]);

        Tensor? result = outRest is null ? null : empty([rows, .. outRest], dtype: outType);
        using var runOptions = new RunOptions();
        for (long start = 0; start < rows; start += perRun)
        {
            long k = Math.Min(perRun, rows - start);
            long runRows = fixedBatch ?? k; // a fixed-batch graph always gets its batch size (the last block padded)
            var blocks = new Tensor[fed.Length];
            for (int i = 0; i < fed.Length; i++)
            {
                var block = fed[i].narrow(0, start, k);
                if (runRows > k) block = cat([block, block.narrow(0, k - 1, 1).expand([runRows - k, .. block.shape[1..]])], 0);
                blocks[i] = block.contiguous();
            }
            bool direct = result is not null && runRows == k;
            var values = new List<OrtValue>(fed.Length);
            try
            {
                for (int i = 0; i < blocks.Length; i++) values.Add(View(blocks[i], TypeOf(blocks[i].dtype)));
                if (direct)
                {
                    var target = result!.narrow(0, start, k);
                    using var outValue = View(target, outMeta.ElementDataType);
                    Invoke(() => Session.Run(runOptions, names, values, [output], [outValue]), blocks, names);
                }
                else
                {
                    using var results = Invoke(() => Session.Run(runOptions, names, values, [output]), blocks, names);
                    var value = results[0];
                    var shape = value.GetTensorTypeAndShape().Shape;
                    if (shape.Length == 0 || shape[0] != runRows)
                        throw new ArgumentException(
                            $"The ONNX output '{output}' has shape [{string.Join(", ", shape)}] for {runRows} input row(s): attribution needs one output row per input row.", "model");
                    if (result is null)
                        result = empty([rows, .. shape[1..]], dtype: outType);
                    else if (!result.shape[1..].SequenceEqual(shape[1..]))
                        throw new ArgumentException(
                            $"The ONNX output '{output}' changed shape between runs ([{string.Join(", ", result.shape[1..])}] then [{string.Join(", ", shape[1..])}] per row).", "model");
                    CopyRows(value, result.narrow(0, start, k));
                }
            }
            finally
            {
                foreach (var v in values) v.Dispose();
            }
        }
        return result!.to(device).MoveToOuterDisposeScope();
    }

    /// <summary>The fixed first dimension the fed inputs share, or null when it is dynamic.</summary>
    private int? FixedBatch(string[] names)
    {
        int? batch = null;
        bool dynamic = false;
        foreach (var name in names)
        {
            var dims = Session.InputMetadata[name].Dimensions;
            if (dims.Length == 0)
                throw new ArgumentException($"The ONNX input '{name}' is a scalar; attribution feeds it rows of a batch, so it needs a batch dimension.", "inputs");
            if (dims[0] < 0) dynamic = true;
            else if (batch is { } b && b != dims[0])
                throw new ArgumentException($"The ONNX inputs have different fixed batch sizes ({b} and {dims[0]} for '{name}').", "inputs");
            else batch = dims[0];
        }
        if (dynamic && batch is not null)
            throw new ArgumentException($"Some ONNX inputs have a dynamic batch dimension and others a fixed one ({batch}); the fed inputs must agree.", "inputs");
        return dynamic ? null : batch;
    }

    /// <summary>The tensor on the CPU, contiguous, in the graph input's element type; its non-batch shape checked.</summary>
    private Tensor Prepare(Tensor x, string name)
    {
        var meta = Session.InputMetadata[name];
        if (!meta.IsTensor || meta.IsString)
            throw new ArgumentException($"The ONNX input '{name}' takes {meta.OnnxValueType}{(meta.IsString ? " of strings" : "")}; only numeric tensors can be fed.", "inputs");
        var type = ScalarTypeOf(meta.ElementDataType, $"input '{name}'");
        var dims = meta.Dimensions;
        if (dims.Length != x.dim() || dims.Skip(1).Select((d, j) => d >= 0 && d != x.shape[j + 1]).Any(bad => bad))
            throw new ArgumentException(
                $"The ONNX input '{name}' takes shape [{string.Join(", ", dims.Select((d, j) => d >= 0 ? d.ToString() : meta.SymbolicDimensions.ElementAtOrDefault(j) is { Length: > 0 } s ? s : "?"))}] " +
                $"but got [{string.Join(", ", x.shape)}].", "inputs");
        if (x.is_floating_point() != IsFloating(type) && !(type == ScalarType.Bool))
            throw new ArgumentException(
                $"The ONNX input '{name}' takes {meta.ElementDataType} but got a {x.dtype} tensor: pass {(IsFloating(type) ? "floating-point values" : "integer values (e.g. token ids)")}.", "inputs");
        return x.detach().to(type, CPU).contiguous();
    }

    private static readonly Device CPU = new(TorchSharp.DeviceType.CPU);

    private static bool IsFloating(ScalarType t) => t is ScalarType.Float32 or ScalarType.Float64 or ScalarType.Float16 or ScalarType.BFloat16;

    private static IDisposableReadOnlyCollection<OrtValue> Invoke(Func<IDisposableReadOnlyCollection<OrtValue>> run, Tensor[] blocks, string[] names) =>
        Wrap(run, blocks, names);

    private static void Invoke(Action run, Tensor[] blocks, string[] names) =>
        Wrap(() => { run(); return 0; }, blocks, names);

    private static T Wrap<T>(Func<T> run, Tensor[] blocks, string[] names)
    {
        try
        {
            return run();
        }
        catch (OnnxRuntimeException e)
        {
            var fed = string.Join(", ", names.Select((n, i) => $"'{n}' [{string.Join(", ", blocks[i].shape)}] {blocks[i].dtype}"));
            throw new ArgumentException($"ONNX Runtime failed on {fed}: {e.Message}", "inputs", e);
        }
    }

    /// <summary>An ONNX Runtime value over the memory of a contiguous CPU tensor (no copy; valid while the tensor lives).</summary>
    private static unsafe OrtValue View(Tensor t, TensorElementType type)
    {
        var bytes = t.bytes;
        void* pointer = Unsafe.AsPointer(ref MemoryMarshal.GetReference(bytes));
        return OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, type, t.shape, (IntPtr)pointer, bytes.Length);
    }

    /// <summary>Copies the leading rows of an ONNX Runtime output into <paramref name="target"/> (contiguous; as many rows as it has).</summary>
    private static void CopyRows(OrtValue value, Tensor target)
    {
        var source = value.GetTensorMutableRawData();
        var destination = target.bytes;
        source[..destination.Length].CopyTo(destination);
    }

    private static ScalarType ScalarTypeOf(TensorElementType type, string what) => type switch
    {
        TensorElementType.Float => ScalarType.Float32,
        TensorElementType.Double => ScalarType.Float64,
        TensorElementType.Float16 => ScalarType.Float16,
        TensorElementType.BFloat16 => ScalarType.BFloat16,
        TensorElementType.Int64 => ScalarType.Int64,
        TensorElementType.Int32 => ScalarType.Int32,
        TensorElementType.Int16 => ScalarType.Int16,
        TensorElementType.Int8 => ScalarType.Int8,
        TensorElementType.UInt8 => ScalarType.Byte,
        TensorElementType.Bool => ScalarType.Bool,
        _ => throw new NotSupportedException($"The ONNX {what} has element type {type}, which has no TorchSharp equivalent here."),
    };

    private static TensorElementType TypeOf(ScalarType type) => type switch
    {
        ScalarType.Float32 => TensorElementType.Float,
        ScalarType.Float64 => TensorElementType.Double,
        ScalarType.Float16 => TensorElementType.Float16,
        ScalarType.BFloat16 => TensorElementType.BFloat16,
        ScalarType.Int64 => TensorElementType.Int64,
        ScalarType.Int32 => TensorElementType.Int32,
        ScalarType.Int16 => TensorElementType.Int16,
        ScalarType.Int8 => TensorElementType.Int8,
        ScalarType.Byte => TensorElementType.UInt8,
        ScalarType.Bool => TensorElementType.Bool,
        _ => throw new NotSupportedException($"Tensors of {type} cannot be fed to ONNX Runtime."),
    };
}
