// Text sample: Captum's text recipe (LayerIntegratedGradients on an embedding, the coloured-text view) on a tiny
// model that tells two Jane Austen novels apart. Usage: dotnet run --project samples/TextClassification [-- --out DIR] [--device cpu|cuda]
using FluentAttrib.Samples;
using TextClassification;

string outDir = "out";
string? deviceName = null;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--out" && i + 1 < args.Length) outDir = args[++i];
    else if (args[i] == "--device" && i + 1 < args.Length && DeviceOption.IsValid(args[i + 1])) deviceName = args[++i];
    else
    {
        bool help = args[i] is "--help" or "-h";
        Console.Error.WriteLine(help
            ? $"Usage: dotnet run --project samples/TextClassification [-- --out DIR] [--device cpu|cuda]\n  {DeviceOption.Help}"
            : $"error: unknown option or value '{args[i]}'.");
        return help ? 0 : 2;
    }
}
try
{
    FluentAttrib.TorchRuntime.EnsureLoaded();
    var device = DeviceOption.Resolve(deviceName);
    var data = Austen.Load();
    var result = TextDemo.Run(data, Console.Out, device: device);
    Directory.CreateDirectory(outDir);
    string html = Path.GetFullPath(Path.Combine(outDir, "austen_sentences.html"));
    string png = Path.ChangeExtension(html, ".png");
    result.Figure.SaveHtml(html);
    result.Figure.WithSize(1100, 720).SavePng(png);
    Console.WriteLine($"Wrote {html}");
    Console.WriteLine($"Wrote {png}");
    return 0;
}
catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or InvalidDataException or FluentAttrib.TorchSharpLoadException
                               or FluentAttrib.Plotting.PlotWriteException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
