// Tabular sample: Captum's tabular recipe (IntegratedGradients, FeatureAblation, KernelShap, a bar chart per
// class) on the Wine recognition data. Usage: dotnet run --project samples/Tabular [-- --out DIR] [--device cpu|cuda]
using FluentAttrib.Samples;
using Tabular;

string outDir = "out";
string? deviceName = null;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--out" && i + 1 < args.Length) outDir = args[++i];
    else if (args[i] == "--device" && i + 1 < args.Length && DeviceOption.IsValid(args[i + 1])) deviceName = args[++i];
    else
    {
        Console.Error.WriteLine(args[i] is "--help" or "-h"
            ? $"Usage: dotnet run --project samples/Tabular [-- --out DIR] [--device cpu|cuda]\n  {DeviceOption.Help}"
            : $"error: unknown option or value '{args[i]}'.");
        return args[i] is "--help" or "-h" ? 0 : 2;
    }
}
try
{
    FluentAttrib.TorchRuntime.EnsureLoaded();
    var device = DeviceOption.Resolve(deviceName);
    using var wine = Wine.Load();
    var result = WineDemo.Run(wine, Console.Out, device: device);
    foreach (var c in result.Classes)
    {
        Console.WriteLine($"{Wine.ClassNames[c.Class]} ({c.Wines} test wines): mean attribution per feature");
        Console.WriteLine($"  {"feature",-22}" + string.Concat(WineDemo.Methods.Select(m => $"{m,20}")));
        for (int f = 0; f < Wine.FeatureNames.Count; f++)
            Console.WriteLine($"  {Wine.FeatureNames[f],-22}" + string.Concat(WineDemo.Methods.Select(m => $"{c.ByMethod[m][f],20:F3}")));
    }
    Directory.CreateDirectory(outDir);
    foreach (var (name, content) in result.Figures)
    {
        string path = Path.GetFullPath(Path.Combine(outDir, name));
        File.WriteAllBytes(path + ".tmp", content);
        File.Move(path + ".tmp", path, overwrite: true);
        Console.WriteLine($"Wrote {path}");
    }
    return 0;
}
catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or InvalidDataException or FluentAttrib.TorchSharpLoadException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
