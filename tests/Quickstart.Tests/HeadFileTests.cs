using Xunit;

namespace Quickstart.Tests;

/// <summary>head.bin: it round-trips, and a damaged file is refused with a message rather than read wrongly.</summary>
public sealed class HeadFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("quickstart-head-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Head Small()
    {
        var weights = new float[2, 3] { { 1, -2, 3.5f }, { 0.25f, 0, -1 } };
        return new Head(["dog", "chat noir"], weights, [0.5f, -0.5f]);
    }

    [Fact]
    public void A_head_round_trips()
    {
        string path = Path.Combine(_dir, "head.bin");
        Small().Save(path);
        var read = Head.Load(path);
        Assert.Equal(["dog", "chat noir"], read.Classes);
        Assert.Equal(Small().Weights, read.Weights);
        Assert.Equal(Small().Bias, read.Bias);
        Assert.Equal(1, read.IndexOf("CHAT NOIR"));
        Assert.Equal(-1, read.IndexOf("bird"));
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public void A_truncated_head_is_refused()
    {
        string path = Path.Combine(_dir, "head.bin");
        Small().Save(path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^3]);
        var e = Assert.Throws<InvalidDataException>(() => Head.Load(path));
        Assert.Contains("truncated", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Another_file_is_refused()
    {
        string path = Path.Combine(_dir, "head.bin");
        File.WriteAllBytes(path, File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "images", "chelsea.jpg")));
        var e = Assert.Throws<InvalidDataException>(() => Head.Load(path));
        Assert.Contains("not a head file", e.Message);
    }

    [Fact]
    public void Trailing_bytes_are_refused()
    {
        string path = Path.Combine(_dir, "head.bin");
        Small().Save(path);
        File.AppendAllText(path, "extra");
        Assert.Throws<InvalidDataException>(() => Head.Load(path));
    }
}
