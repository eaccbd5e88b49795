using FluentAttrib.Pretrained.Onnx;

namespace FluentAttrib.Pretrained.Tests;

/// <summary>
/// Edits an ONNX file at the wire level, to make broken copies of the real model: splits a message into its fields,
/// lets a test drop, replace or add fields, and writes it back.
/// </summary>
internal static class OnnxEditor
{
    /// <summary>One field: its number, wire type and value bytes (for a length-delimited field, without the length).</summary>
    public sealed record Field(int Number, WireType Type, byte[] Value);

    public const int ModelGraph = 7, GraphInitializer = 5, TensorName = 8;

    public static List<Field> Split(ReadOnlySpan<byte> message)
    {
        var fields = new List<Field>();
        var reader = new ProtoReader(message);
        while (reader.TryReadKey(out int number, out WireType type))
        {
            int start = (int)reader.Offset;
            byte[] value;
            if (type == WireType.LengthDelimited) value = reader.ReadBytes(out _).ToArray();
            else
            {
                reader.Skip(type);
                value = message[start..(int)reader.Offset].ToArray();
            }
            fields.Add(new Field(number, type, value));
        }
        return fields;
    }

    public static byte[] Join(IEnumerable<Field> fields)
    {
        using var stream = new MemoryStream();
        foreach (var f in fields)
        {
            WriteVarint(stream, ((ulong)f.Number << 3) | (ulong)f.Type);
            if (f.Type == WireType.LengthDelimited) WriteVarint(stream, (ulong)f.Value.Length);
            stream.Write(f.Value);
        }
        return stream.ToArray();
    }

    /// <summary>The name of an initializer (a TensorProto's bytes).</summary>
    public static string TensorNameOf(byte[] tensor) =>
        System.Text.Encoding.UTF8.GetString(Split(tensor).Single(f => f.Number == TensorName).Value);

    /// <summary>A float TensorProto with raw data.</summary>
    public static byte[] FloatTensor(string name, long[] dims, float[] values)
    {
        var fields = new List<Field>();
        foreach (var d in dims) fields.Add(new Field(1, WireType.Varint, Varint((ulong)d)));
        fields.Add(new Field(2, WireType.Varint, Varint(1)));
        fields.Add(new Field(TensorName, WireType.LengthDelimited, System.Text.Encoding.UTF8.GetBytes(name)));
        var raw = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, raw, 0, raw.Length);
        fields.Add(new Field(9, WireType.LengthDelimited, raw));
        return Join(fields);
    }

    /// <summary>Rewrites the graph's initializers of <paramref name="model"/> with <paramref name="edit"/> (name, bytes) → bytes or null to drop.</summary>
    public static byte[] EditInitializers(byte[] model, Func<string, byte[], byte[]?> edit, params byte[][] added)
    {
        var top = Split(model);
        var graphIndex = top.FindIndex(f => f.Number == ModelGraph);
        var graph = Split(top[graphIndex].Value);
        var edited = new List<Field>();
        foreach (var f in graph)
        {
            if (f.Number != GraphInitializer) { edited.Add(f); continue; }
            var replacement = edit(TensorNameOf(f.Value), f.Value);
            if (replacement is not null) edited.Add(f with { Value = replacement });
        }
        edited.AddRange(added.Select(a => new Field(GraphInitializer, WireType.LengthDelimited, a)));
        top[graphIndex] = top[graphIndex] with { Value = Join(edited) };
        return Join(top);
    }

    private static byte[] Varint(ulong value)
    {
        using var stream = new MemoryStream();
        WriteVarint(stream, value);
        return stream.ToArray();
    }

    private static void WriteVarint(Stream stream, ulong value)
    {
        while (value >= 0x80)
        {
            stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        stream.WriteByte((byte)value);
    }
}
