using Xunit;

namespace Quickstart.Tests;

/// <summary>The output folder: all figures or none.</summary>
public sealed class FigureFolderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("quickstart-out-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Figures_are_written_whole_and_replace_older_ones()
    {
        string out_ = Path.Combine(_dir, "a", "b");
        FigureFolder.WriteAll(out_, [new("x.png", [1, 2, 3])]);
        var paths = FigureFolder.WriteAll(out_, [new("x.png", [4]), new("y.png", [5, 6])]);

        Assert.Equal([Path.Combine(out_, "x.png"), Path.Combine(out_, "y.png")], paths);
        Assert.Equal([4], File.ReadAllBytes(paths[0]));
        Assert.Equal(["x.png", "y.png"], Directory.GetFiles(out_).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void When_one_figure_cannot_be_written_none_is_put_in_place()
    {
        string out_ = Path.Combine(_dir, "out");
        FigureFolder.WriteAll(out_, [new("x.png", [1])]);
        // A folder where the second figure should go: its write (the final move) fails.
        Directory.CreateDirectory(Path.Combine(out_, "y.png"));

        var e = Assert.Throws<OutputException>(() => FigureFolder.WriteAll(out_, [new("x.png", [2]), new("y.png", [3])]));

        Assert.Contains("Cannot write the figures", e.Message);
        Assert.Equal([1], File.ReadAllBytes(Path.Combine(out_, "x.png")));
        Assert.Empty(Directory.GetFiles(out_, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void A_folder_under_a_file_is_refused()
    {
        string file = Path.Combine(_dir, "f");
        File.WriteAllText(file, "");
        Assert.Throws<OutputException>(() => FigureFolder.Check(Path.Combine(file, "out")));
        Assert.Throws<OutputException>(() => FigureFolder.Check(file));
    }
}
