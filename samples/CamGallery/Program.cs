// CAM gallery: every class activation map of the pytorch-grad-cam family (GradCAM … FullGrad) for the dog and the
// cat of the Quickstart's dog-and-cat photo, on the pretrained ResNet18 backbone with the Quickstart's fitted head,
// in one figure with each panel's time. Usage: dotnet run --project samples/CamGallery [-- --out DIR] [--quick] [--only ...]
using CamGallery;

string outDir = "out";
bool quick = false;
string[]? only = null;
int? measure = null;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--out" && i + 1 < args.Length) outDir = args[++i];
    else if (args[i] == "--quick") quick = true;
    else if (args[i] == "--measure" && i + 1 < args.Length && int.TryParse(args[i + 1], out int side) && side >= 32) { measure = side; i++; }
    else if (args[i] == "--only" && i + 1 < args.Length) only = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    else
    {
        bool help = args[i] is "--help" or "-h";
        Console.Error.WriteLine(help
            ? "Usage: dotnet run --project samples/CamGallery [-- --out DIR] [--quick] [--only NAME,NAME]\n" +
              "  --quick  skips ScoreCAM and AblationCAM (a pass per channel of layer4, 512, per class each)\n" +
              "  --only   only the named methods (GradCAM, HiResCAM, GradCAMElementWise, GradCAM++, XGradCAM, LayerCAM, EigenCAM,\n" +
              "           EigenGradCAM, ShapleyCAM, FinerCAM, FullGrad, ScoreCAM, AblationCAM)\n" +
              "  --measure SIZE  times ScoreCAM and AblationCAM against 512 forward passes on a SIZE×SIZE crop, and exits"
            : $"error: unknown option '{args[i]}'.");
        return help ? 0 : 2;
    }
}
try
{
    FluentAttrib.TorchRuntime.EnsureLoaded();
    if (measure is { } size)
    {
        Gallery.Measure(Console.Out, size);
        return 0;
    }
    var gallery = Gallery.Run(Console.Out, includePerturbation: !quick, only);
    Directory.CreateDirectory(outDir);
    string path = Path.GetFullPath(Path.Combine(outDir, "cam_gallery.png"));
    File.WriteAllBytes(path + ".tmp", gallery.Png);
    File.Move(path + ".tmp", path, overwrite: true);
    Console.WriteLine($"Wrote {path}");
    return 0;
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or FluentAttrib.TorchSharpLoadException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
