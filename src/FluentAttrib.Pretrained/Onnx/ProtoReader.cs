namespace FluentAttrib.Pretrained.Onnx;

/// <summary>Protocol-buffer wire types (the low three bits of a field's key).</summary>
internal enum WireType
{
    Varint = 0,
    Fixed64 = 1,
    LengthDelimited = 2,
    StartGroup = 3,
    EndGroup = 4,
    Fixed32 = 5,
}

/// <summary>The wire format is broken: the reader stops at <see cref="Offset"/> (bytes from the start of the file).</summary>
internal sealed class ProtoFormatException(string message, long offset) : Exception(message)
{
    public long Offset { get; } = offset;
}

/// <summary>
/// A forward-only reader of the protocol-buffer wire format over one message held in memory: just what reading the
/// parts of an ONNX file that a weight importer needs takes (keys, varints, fixed32/64, length-delimited fields),
/// with no copies and with every bound checked, so a truncated or foreign file fails with the byte offset at which
/// it stops making sense rather than with an index error.
/// </summary>
internal ref struct ProtoReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly long _origin;
    private int _position;

    /// <summary>Reads the message in <paramref name="data"/>, which starts <paramref name="origin"/> bytes into the file.</summary>
    public ProtoReader(ReadOnlySpan<byte> data, long origin = 0)
    {
        _data = data;
        _origin = origin;
        _position = 0;
    }

    /// <summary>Offset in the file of the next byte to read.</summary>
    public readonly long Offset => _origin + _position;

    /// <summary>Reads the next field's key; false at the end of the message.</summary>
    public bool TryReadKey(out int field, out WireType wireType)
    {
        if (_position >= _data.Length)
        {
            field = 0;
            wireType = default;
            return false;
        }
        long start = Offset;
        ulong key = ReadVarint();
        field = (int)(key >> 3);
        wireType = (WireType)(key & 7);
        if (field <= 0 || key >> 3 > 536_870_911)
            throw new ProtoFormatException($"field number {key >> 3} is not valid", start);
        if (wireType is not (WireType.Varint or WireType.Fixed64 or WireType.LengthDelimited or WireType.Fixed32))
            throw new ProtoFormatException($"field {field} has wire type {(int)wireType}, which protocol buffers of this kind never use", start);
        return true;
    }

    /// <summary>Reads a base-128 varint.</summary>
    public ulong ReadVarint()
    {
        long start = Offset;
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _data.Length)
                throw new ProtoFormatException("the data ends inside a varint", start);
            byte b = _data[_position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw new ProtoFormatException("a varint is longer than 10 bytes", start);
    }

    /// <summary>Reads a varint-encoded int64 (two's complement, as ONNX's int64 fields are).</summary>
    public long ReadInt64() => unchecked((long)ReadVarint());

    /// <summary>Reads a little-endian fixed32 field as a float.</summary>
    public float ReadFloat() => BitConverter.Int32BitsToSingle(BitConverter.ToInt32(Take(4, "a fixed32 value")));

    /// <summary>Reads a length-delimited field's bytes.</summary>
    public ReadOnlySpan<byte> ReadBytes(out long offset)
    {
        long start = Offset;
        ulong length = ReadVarint();
        offset = Offset;
        if (length > (ulong)(_data.Length - _position))
            throw new ProtoFormatException(
                $"a field claims {length:N0} bytes but only {_data.Length - _position:N0} remain (the file looks truncated)", start);
        return Take((int)length, "a length-delimited field");
    }

    /// <summary>Reads a length-delimited field as UTF-8 text.</summary>
    public string ReadString() => System.Text.Encoding.UTF8.GetString(ReadBytes(out _));

    /// <summary>Reads a nested message and hands back a reader over it.</summary>
    public ProtoReader ReadMessage()
    {
        var bytes = ReadBytes(out long offset);
        return new ProtoReader(bytes, offset);
    }

    /// <summary>Skips the value of a field whose key was just read.</summary>
    public void Skip(WireType wireType)
    {
        switch (wireType)
        {
            case WireType.Varint: ReadVarint(); break;
            case WireType.Fixed64: Take(8, "a fixed64 value"); break;
            case WireType.Fixed32: Take(4, "a fixed32 value"); break;
            case WireType.LengthDelimited: ReadBytes(out _); break;
            default: throw new ProtoFormatException($"cannot skip wire type {(int)wireType}", Offset);
        }
    }

    /// <summary>
    /// Reads a repeated int64 field that may be packed (one length-delimited run) or not (one varint per key).
    /// </summary>
    public void ReadRepeatedInt64(WireType wireType, List<long> into)
    {
        if (wireType == WireType.Varint)
        {
            into.Add(ReadInt64());
            return;
        }
        Expect(wireType, WireType.LengthDelimited, "a repeated int64");
        var packed = ReadMessage();
        while (packed._position < packed._data.Length) into.Add(packed.ReadInt64());
    }

    /// <summary>Throws unless a field has the wire type its schema gives it.</summary>
    public readonly void Expect(WireType actual, WireType expected, string what)
    {
        if (actual != expected)
            throw new ProtoFormatException($"{what} has wire type {(int)actual}, expected {(int)expected}", Offset);
    }

    private ReadOnlySpan<byte> Take(int count, string what)
    {
        if (count > _data.Length - _position)
            throw new ProtoFormatException($"the data ends inside {what} (the file looks truncated)", Offset);
        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }
}
