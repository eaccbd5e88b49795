// FluentAttrib quickstart: a real pretrained ResNet18 with a small fitted head, explained on real photos.
using System.Diagnostics;
using System.Reflection;
using FluentAttrib;
using FluentAttrib.Models;
using FluentAttrib.Models.Onnx;
using Quickstart;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

const string Usage = """
    Usage: dotnet run --project samples/Quickstart [-- options]
           dotnet run --project samples/Quickstart -- fit-head [--photos DIR] [--head FILE]

    Explains the decisions of an ImageNet-pretrained ResNet18 (ML.NET's ONNX backbone, imported into TorchSharp)
    with a four-class head fitted on the sample's photos: dog, cat, other animal, object or scene. Writes one PNG
    per method and class: the picture beside its attribution heat map.

    Options:
      --image FILE    photo to explain (default: the sample's images/dog_cat.jpg, a dog and a cat side by side)
      --target LIST   classes to explain, comma-separated (default: dog,cat)
      --out DIR       folder for the PNG files (default: ./out)
      --head FILE     head weights (default: the shipped head.bin)
      --help          show this text

    fit-head refits the head on the training photos (default: the sample's train/ folder) and writes it to
    head.bin in the sample's folder (or FILE); the shipped head.bin was made this way.
    """;

if (args.Length > 0 && args[0] == "fit-head") return RunFitHead(args[1..]);

string outDir = "out";
string imagePath = Path.Combine(AppContext.BaseDirectory, "images", "dog_cat.jpg");
string headPath = Path.Combine(AppContext.BaseDirectory, "head.bin");
string[] targets = ["dog", "cat"];
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
        case "--head" when i + 1 < args.Length:
            headPath = args[++i];
            break;
        case "--target" when i + 1 < args.Length:
            targets = args[++i].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            break;
        default:
            Console.Error.WriteLine($"Unknown or incomplete option '{args[i]}'.");
            Console.Error.WriteLine(Usage);
            return 2;
    }
}

if (!EnsureTorch()) return 1;
Head head;
try
{
    head = Head.Load(headPath);
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
{
    Console.Error.WriteLine($"Cannot read the head: {e.Message}");
    return 1;
}
var targetIndices = new List<int>();
foreach (var target in targets)
{
    int index = head.IndexOf(target);
    if (index < 0)
    {
        Console.Error.WriteLine($"Unknown class '{target}'. The head's classes are: {string.Join(", ", head.Classes)}.");
        return 2;
    }
    targetIndices.Add(index);
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

var loadClock = Stopwatch.StartNew();
Network network;
try
{
    network = Network.Load(head);
}
catch (Exception e) when (e is IOException or OnnxImportException or ArgumentException)
{
    Console.Error.WriteLine($"Cannot load the pretrained network: {e.Message}");
    return 1;
}
using var __ = network;
Console.WriteLine($"Model: ImageNet-pretrained ResNet18 backbone (ML.NET's ONNX file, imported into TorchSharp; {loadClock.Elapsed.TotalSeconds:F1} s)");
Console.WriteLine($"       with a linear head fitted by this sample on {string.Join(" / ", head.Classes)} (see `fit-head`).");
Console.WriteLine($"Image: {Path.GetFileName(imagePath)} ({photo.Picture.Width}×{photo.Picture.Height} as the network sees it)");

using var input = network.Input(photo.Rgb);
using (var probabilities = network.Probabilities(photo.Rgb))
{
    var p = probabilities[0].data<float>().ToArray();
    Console.WriteLine("Predictions:");
    foreach (var k in Enumerable.Range(0, p.Length).OrderByDescending(k => p[k]))
        Console.WriteLine($"  {head.Classes[k],-16} {p[k],7:P1}");
}

ScottPlot.Fonts.Default = "DejaVu Sans";
Directory.CreateDirectory(outDir);
string stem = Path.GetFileNameWithoutExtension(imagePath);
var (layer4, ___) = network.Features(photo.Rgb);
using (layer4)
{
    foreach (int k in targetIndices)
    {
        var clock = Stopwatch.StartNew();
        using var cam = Cam.Map(layer4, head, k, photo.Picture.Height, photo.Picture.Width);
        string camPath = Path.GetFullPath(Path.Combine(outDir, $"{stem}_{Slug(head.Classes[k])}_cam.png"));
        HeatmapFigure.Save(camPath, photo.Picture, cam, $"Class activation map (layer4), {head.Classes[k]}");
        Console.WriteLine($"{"CAM",-20} {clock.Elapsed.TotalSeconds,6:F2} s  {camPath}");
        Console.WriteLine($"{"",-20} positive mass: left half {Cam.FractionInHalf(cam, left: true):P0}, right half {Cam.FractionInHalf(cam, left: false):P0}");
    }
}

var methods = new (string File, string Title, AttributionMethod Method)[]
{
    ("integrated_gradients", "Integrated Gradients (32 steps)", IntegratedGradients.Steps(32).InternalBatchSize(8)),
    ("saliency", "Saliency (|gradient|)", Saliency.Default),
};
foreach (int k in targetIndices)
{
    foreach (var (file, title, method) in methods)
    {
        var clock = Stopwatch.StartNew();
        using var attribution = Explain(network.Model).For(k).With(method).WithProgress(new ConsoleProgressBar()).Attribute(input);
        clock.Stop();
        string path = Path.GetFullPath(Path.Combine(outDir, $"{stem}_{Slug(head.Classes[k])}_{file}.png"));
        HeatmapFigure.Save(path, photo.Picture, attribution.Value, $"{title}, {head.Classes[k]}");
        Console.WriteLine($"{method.Name,-20} {clock.Elapsed.TotalSeconds,6:F2} s  {path}");
    }
}
Console.WriteLine($"Figures written to {Path.GetFullPath(outDir)}");
return 0;

static string Slug(string name) => name.Replace(' ', '_');

static bool EnsureTorch()
{
    try
    {
        TorchRuntime.EnsureLoaded();
        return true;
    }
    catch (TorchSharpLoadException e)
    {
        Console.Error.WriteLine(e.Message);
        return false;
    }
}

static int RunFitHead(string[] args)
{
    string photos = Path.Combine(AppContext.BaseDirectory, "train");
    string? projectDir = typeof(Head).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .FirstOrDefault(a => a.Key == "Quickstart.ProjectDirectory")?.Value;
    string headPath = projectDir is not null && Directory.Exists(projectDir) ? Path.Combine(projectDir, "head.bin") : "head.bin";
    for (int i = 0; i < args.Length; i++)
    {
        switch (args[i])
        {
            case "--photos" when i + 1 < args.Length: photos = args[++i]; break;
            case "--head" when i + 1 < args.Length: headPath = args[++i]; break;
            default:
                Console.Error.WriteLine($"Unknown or incomplete fit-head option '{args[i]}'.");
                Console.Error.WriteLine(Usage);
                return 2;
        }
    }
    if (!EnsureTorch()) return 1;
    Console.WriteLine($"Fitting the head on the photos in {Path.GetFullPath(photos)} (seed {FitHead.Seed}, {FitHead.Steps} Adam steps):");
    FitHead.Result result;
    try
    {
        result = FitHead.Fit(photos, Console.Out);
    }
    catch (Exception e) when (e is IOException or InvalidDataException or OnnxImportException)
    {
        Console.Error.WriteLine($"Cannot fit the head: {e.Message}");
        return 1;
    }
    Console.WriteLine($"Training accuracy: {result.CropAccuracy:P1} of {result.Crops} crops, {result.PhotoAccuracy:P1} of {result.Photos} whole photos ({result.Elapsed.TotalSeconds:F0} s)");

    using var network = Network.Load(result.Head);
    foreach (var (file, left, right) in new[] { ("dog_cat.jpg", "dog", "cat"), ("cat_dog.jpg", "cat", "dog") })
    {
        string path = Path.Combine(AppContext.BaseDirectory, "images", file);
        if (!File.Exists(path)) continue;
        using var photo = Photo.Load(path);
        var (l, r) = Cam.CorrectHalfFractions(network, photo.Rgb, result.Head.IndexOf(left), result.Head.IndexOf(right), nearest: true);
        var (lb, rb) = Cam.CorrectHalfFractions(network, photo.Rgb, result.Head.IndexOf(left), result.Head.IndexOf(right), nearest: false);
        using var p = network.Probabilities(photo.Rgb);
        var probs = p[0].data<float>().ToArray();
        Console.WriteLine($"{file}: p = {string.Join(", ", result.Head.Classes.Select((c, k) => $"{c} {probs[k]:F2}"))}");
        Console.WriteLine($"  CAM positive mass on the correct half: {left} (left) {l:P1}, {right} (right) {r:P1} " +
                          $"(layer4 cells; bilinearly upsampled: {lb:P1}, {rb:P1})");
    }
    result.Head.Save(headPath);
    Console.WriteLine($"Head written to {Path.GetFullPath(headPath)}");
    return 0;
}

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
