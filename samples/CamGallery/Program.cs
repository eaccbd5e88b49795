// CAM gallery: every class activation map of the pytorch-grad-cam family (GradCAM … FullGrad) for the dog and the
// cat of the Quickstart's dog-and-cat photo, on the pretrained ResNet18 backbone with the Quickstart's fitted head,
// in one figure with each panel's time. Usage: dotnet run --project samples/CamGallery [-- --out DIR] [--quick] [--only ...] [--device cpu|cuda]
using CamGallery;
using FluentAttrib.Samples;

string outDir = "out";
bool quick = false;
string[]? only = null;
int? measure = null;
string? deviceName = null;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--out" && i + 1 < args.Length) outDir = args[++i];
    else if (args[i] == "--quick") quick = true;
    else if (args[i] == "--measure" && i + 1 < args.Length && int.TryParse(args[i + 1], out int side) && side >= 32) { measure = side; i++; }
    else if (args[i] == "--only" && i + 1 < args.Length) only = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    else if (args[i] == "--device" && i + 1 < args.Length)
    {
        deviceName = args[++i];
        if (!DeviceOption.IsValid(deviceName))
        {
            Console.Error.WriteLine($"error: --device takes cpu or cuda, not '{deviceName}'.");
            return 2;
        }
    }
    else
    {
        bool help = args[i] is "--help" or "-h";
        Console.Error.WriteLine(help
            ? "Usage: dotnet run --project samples/CamGallery [-- --out DIR] [--quick] [--only NAME,NAME] [--device cpu|cuda]\n" +
              "  --quick  skips ScoreCAM and AblationCAM (a pass per channel of layer4, 512, per class each)\n" +
              "  --only   only the named methods (GradCAM, HiResCAM, GradCAMElementWise, GradCAM++, XGradCAM, LayerCAM, EigenCAM,\n" +
              "           EigenGradCAM, ShapleyCAM, FinerCAM, FullGrad, ScoreCAM, AblationCAM)\n" +
              "  --measure SIZE  times ScoreCAM and AblationCAM against 512 forward passes on a SIZE×SIZE crop, and exits\n" +
              $"  {DeviceOption.Help}"
            : $"error: unknown option '{args[i]}'.");
        return help ? 0 : 2;
    }
}
try
{
    FluentAttrib.TorchRuntime.EnsureLoaded();
    var device = DeviceOption.Resolve(deviceName);
    if (measure is { } size)
    {
        Gallery.Measure(Console.Out, size, device);
        return 0;
    }
    var gallery = Gallery.Run(Console.Out, includePerturbation: !quick, only, device);
    Directory.CreateDirectory(outDir);
    string path = Path.GetFullPath(Path.Combine(outDir, "cam_gallery.png"));
    File.WriteAllBytes(path + ".tmp", gallery.Png);
    File.Move(path + ".tmp", path, overwrite: true);
    Console.WriteLine($"Wrote {path}");
    return 0;
}
catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or InvalidDataException or FluentAttrib.TorchSharpLoadException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
