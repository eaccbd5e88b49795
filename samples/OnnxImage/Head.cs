using System.Text;
using static TorchSharp.torch;

namespace OnnxImage;

/// <summary>
/// The quick start's classification head (samples/Quickstart/head.bin): a linear layer on the backbone's 512 pooled
/// features. File layout: <c>FAHEAD01</c>, class and feature counts (int32), each class name (int32 length + UTF-8),
/// then weights (classes × features) and biases, little-endian float32.
/// </summary>
internal sealed record Head(IReadOnlyList<string> Classes, Tensor Weight, Tensor Bias)
{
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is not a head file.</exception>
    public static Head Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"There is no head file {path}.", path);
        using var reader = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
        try
        {
            if (Encoding.ASCII.GetString(reader.ReadBytes(8)) != "FAHEAD01") throw new InvalidDataException($"{path} is not a head file.");
            int classes = reader.ReadInt32(), features = reader.ReadInt32();
            if (classes is < 1 or > 10_000 || features is < 1 or > 100_000) throw new InvalidDataException($"{path} claims {classes}×{features}.");
            var names = new string[classes];
            for (int k = 0; k < classes; k++) names[k] = Encoding.UTF8.GetString(reader.ReadBytes(reader.ReadInt32()));
            var w = new float[classes * features];
            for (int i = 0; i < w.Length; i++) w[i] = reader.ReadSingle();
            var b = new float[classes];
            for (int i = 0; i < b.Length; i++) b[i] = reader.ReadSingle();
            return new Head(names, tensor(w, [classes, features]), tensor(b));
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path} is truncated.", e);
        }
    }

    /// <summary>Logits of pooled features (N, F, 1, 1) or (N, F).</summary>
    public Tensor Apply(Tensor features) => nn.functional.linear(features.flatten(1), Weight, Bias);
}
