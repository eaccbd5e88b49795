// FluentAttrib quickstart: Integrated Gradients and Saliency for a ResNet-18 on a real photo, saved as heat maps.
using System.Diagnostics;
using FluentAttrib;
using Quickstart;
using TorchSharp;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

const string Usage = """
    Usage: dotnet run --project samples/Quickstart [-- options]

    Explains a ResNet-18's top prediction for a photo with Integrated Gradients and Saliency
    and writes one PNG per method: the photo beside its attribution heat map.

    Options:
      --out DIR       folder for the PNG files (default: ./out)
      --image FILE    photo to explain (default: the sample's images/chelsea.jpg)
      --help          show this text
    """;

string outDir = "out";
string imagePath = Path.Combine(AppContext.BaseDirectory, "images", "chelsea.jpg");
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--help" or "-h":
            Console.WriteLine(Usage);
            return 0;
        case "--out" when i + 1 < args.Length:
            outDir = args[++i];
            break;
        case "--image" when i + 1 < args.Length:
            imagePath = args[++i];
            break;
        default:
            Console.Error.WriteLine($"Unknown or incomplete option '{args[i]}'.");
            Console.Error.WriteLine(Usage);
            return 2;
    }
}

try
{
    TorchRuntime.EnsureLoaded();
}
catch (TorchSharpLoadException e)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}
Photo photo;
try
{
    photo = Photo.Load(imagePath);
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
{
    Console.Error.WriteLine($"Cannot read {imagePath}: {e.Message}");
    return 1;
}
using var _ = photo;
ScottPlot.Fonts.Default = "DejaVu Sans";
Directory.CreateDirectory(outDir);

random.manual_seed(0);
using var model = torchvision.models.resnet18();
model.eval();
Console.WriteLine("Model: TorchVision resnet18 with RANDOM weights (seed 0). Loading the real pretrained network is a later");
Console.WriteLine("issue, so the class and the maps below show what an untrained network responds to, not ImageNet evidence.");

long top;
using (no_grad())
using (var logits = model.call(photo.Input))
{
    top = logits.argmax(1).item<long>();
}
Console.WriteLine($"Image: {Path.GetFileName(imagePath)}; top predicted class index: {top}");

var methods = new (string File, string Title, AttributionMethod Method)[]
{
    ("integrated_gradients.png", "Integrated Gradients (32 steps)", IntegratedGradients.Steps(32).InternalBatchSize(8)),
    ("saliency.png", "Saliency (|gradient|)", Saliency.Default),
};
foreach (var (file, title, method) in methods)
{
    var clock = Stopwatch.StartNew();
    using var attribution = Explain(model).For(top).With(method).WithProgress(new ConsoleProgressBar()).Attribute(photo.Input);
    clock.Stop();
    string path = Path.GetFullPath(Path.Combine(outDir, Path.GetFileNameWithoutExtension(imagePath) + "_" + file));
    HeatmapFigure.Save(path, photo.Crop, attribution.Value, $"{title}, class {top}");
    Console.WriteLine($"{method.Name,-20} {clock.Elapsed.TotalSeconds,6:F2} s  {path}");
}
return 0;

/// <summary>Draws "Method [#####.....] 3/8" on one console line; prints only the finished line when output is redirected.</summary>
internal sealed class ConsoleProgressBar : IProgress<AttributionProgress>
{
    private const int Width = 30;

    public void Report(AttributionProgress value)
    {
        bool done = value.Completed >= value.Total;
        if (Console.IsOutputRedirected && !done) return;
        int filled = (int)Math.Round(value.Fraction * Width);
        string bar = new string('#', filled) + new string('.', Width - filled);
        Console.Write($"\r{value.Method,-20} [{bar}] {value.Completed}/{value.Total}");
        if (done) Console.WriteLine();
    }
}
