using static TorchSharp.torch;

namespace FluentAttrib.Plotting.Tests;

public sealed class FileOutputTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fa-plot-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Png_and_svg_are_written_and_overwritten()
    {
        using var attr = TestData.AttributionChw();
        var figure = attr.Plot(ImageView.HeatMap.All).WithSize(120, 100);
        string png = Path.Combine(_folder, "a.png"), svg = Path.Combine(_folder, "a.svg");
        File.WriteAllText(png, "old");
        figure.SavePng(png);
        figure.SaveSvg(svg);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(png)[..4]);
        Assert.StartsWith("<?xml", File.ReadAllText(svg));
        Assert.Equal(["a.png", "a.svg"], Directory.GetFiles(_folder).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Unwritable_paths_are_typed_errors_that_leave_nothing()
    {
        using var attr = TestData.AttributionChw();
        var figure = attr.Plot(ImageView.HeatMap.All).WithSize(120, 100);
        var missing = Assert.Throws<PlotWriteException>(() => figure.SavePng(Path.Combine(_folder, "no", "such", "a.png")));
        Assert.Contains("does not exist", missing.Message);
        Assert.Contains(Path.Combine(_folder, "no", "such"), missing.Message);
        var folder = Assert.Throws<PlotWriteException>(() => figure.SavePng(_folder));
        Assert.Contains("folder", folder.Message);
        string file = Path.Combine(_folder, "file.txt");
        File.WriteAllText(file, "x");
        var underFile = Assert.Throws<PlotWriteException>(() => figure.SaveSvg(Path.Combine(file, "a.svg")));
        Assert.Contains("is a file", underFile.Message);
        Assert.Throws<ArgumentException>(() => figure.SavePng(" "));
        Assert.Equal(["file.txt"], Directory.GetFiles(_folder).Select(Path.GetFileName));
    }

    [Fact]
    public void A_failed_render_keeps_the_old_file_and_leaves_no_temporary_file()
    {
        using var attr = TestData.AttributionChw();
        using var bad = attr.clone();
        bad[0, 0, 0] = tensor(float.NaN);
        string png = Path.Combine(_folder, "keep.png");
        File.WriteAllText(png, "previous figure");
        Assert.Throws<NonFiniteValuesException>(() => bad.Plot(ImageView.HeatMap.All).SavePng(png));
        Assert.Equal("previous figure", File.ReadAllText(png));
        Assert.Equal(["keep.png"], Directory.GetFiles(_folder).Select(Path.GetFileName));
    }

    [Fact]
    public void Sizes_are_validated()
    {
        using var attr = TestData.AttributionChw();
        Assert.Throws<ArgumentOutOfRangeException>(() => attr.Plot().WithSize(0, 100));
        Assert.Throws<ArgumentOutOfRangeException>(() => attr.Plot().WithSize(100, 100_000));
    }
}
