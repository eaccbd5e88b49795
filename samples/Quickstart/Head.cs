using System.Text;
using static TorchSharp.torch;

namespace Quickstart;

/// <summary>
/// The sample's classification head: a linear layer on the pretrained ResNet's 512 pooled features, one row per
/// class. Stored in a small binary file (<c>head.bin</c>): the magic <c>FAHEAD01</c>, the class and feature counts
/// (int32), each class name (int32 byte length + UTF-8), then the weights (classes × features) and biases as
/// little-endian float32.
/// </summary>
internal sealed class Head
{
    private static readonly byte[] Magic = "FAHEAD01"u8.ToArray();

    /// <summary>The classes, in output order.</summary>
    public static IReadOnlyList<string> DefaultClasses { get; } = ["dog", "cat", "other animal", "object or scene"];

    public Head(IReadOnlyList<string> classes, float[,] weights, float[] bias)
    {
        if (weights.GetLength(0) != classes.Count || bias.Length != classes.Count)
            throw new ArgumentException("The head needs one weight row and one bias per class.");
        Classes = classes;
        Weights = weights;
        Bias = bias;
    }

    public IReadOnlyList<string> Classes { get; }

    /// <summary>Classes × features.</summary>
    public float[,] Weights { get; }

    public float[] Bias { get; }

    public int FeatureCount => Weights.GetLength(1);

    /// <summary>The index of <paramref name="name"/> (case-insensitive), or -1.</summary>
    public int IndexOf(string name)
    {
        for (int k = 0; k < Classes.Count; k++)
            if (string.Equals(Classes[k], name, StringComparison.OrdinalIgnoreCase)) return k;
        return -1;
    }

    /// <summary>The weights as a classes × features tensor.</summary>
    public Tensor WeightTensor() => tensor(Weights.Cast<float>().ToArray(), [Classes.Count, FeatureCount]);

    /// <summary>Copies the head into a linear layer's <c>weight</c> and <c>bias</c>.</summary>
    public void LoadInto(nn.Module fc)
    {
        var state = fc.state_dict();
        if (!state["weight"].shape.SequenceEqual(new long[] { Classes.Count, FeatureCount }))
            throw new ArgumentException($"The model's head is [{string.Join(", ", state["weight"].shape)}], the file's {Classes.Count}×{FeatureCount}.");
        using var _ = no_grad();
        using var w = WeightTensor();
        using var b = tensor(Bias);
        state["weight"].copy_(w);
        state["bias"].copy_(b);
    }

    public void Save(string path)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(Classes.Count);
            writer.Write(FeatureCount);
            foreach (var name in Classes)
            {
                var bytes = Encoding.UTF8.GetBytes(name);
                writer.Write(bytes.Length);
                writer.Write(bytes);
            }
            foreach (var w in Weights) writer.Write(w);
            foreach (var b in Bias) writer.Write(b);
        }
        // Whole file or nothing: write beside it, then replace.
        string temporary = path + ".tmp";
        File.WriteAllBytes(temporary, stream.ToArray());
        File.Move(temporary, path, overwrite: true);
    }

    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is not a head file (the message says what is wrong).</exception>
    public static Head Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"There is no head file {path}.", path);
        using var reader = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
        try
        {
            if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic))
                throw new InvalidDataException($"{path} is not a head file (it does not start with FAHEAD01).");
            int classes = reader.ReadInt32(), features = reader.ReadInt32();
            if (classes is < 1 or > 10_000 || features is < 1 or > 100_000)
                throw new InvalidDataException($"{path} claims {classes} classes of {features} features.");
            var names = new string[classes];
            for (int k = 0; k < classes; k++)
            {
                int length = reader.ReadInt32();
                if (length is < 0 or > 1000) throw new InvalidDataException($"{path}: class name {k} claims {length} bytes.");
                names[k] = Encoding.UTF8.GetString(reader.ReadBytes(length));
            }
            var weights = new float[classes, features];
            for (int k = 0; k < classes; k++)
                for (int f = 0; f < features; f++)
                    weights[k, f] = reader.ReadSingle();
            var bias = new float[classes];
            for (int k = 0; k < classes; k++) bias[k] = reader.ReadSingle();
            if (reader.BaseStream.Position != reader.BaseStream.Length)
                throw new InvalidDataException($"{path} has {reader.BaseStream.Length - reader.BaseStream.Position} bytes after the head.");
            return new Head(names, weights, bias);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path} ends before the head it describes (truncated).", e);
        }
    }
}
