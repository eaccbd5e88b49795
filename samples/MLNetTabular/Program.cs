// MLNetTabular sample: an ML.NET FastTree model on the Wine data explained with Kernel SHAP (FluentAttrib.MLNet),
// SHAP-style beeswarm, bar, waterfall and dependence figures, next to ML.NET's permutation feature importance.
// Usage: dotnet run --project samples/MLNetTabular [-- --out DIR]
// (No --device option, unlike the samples that run TorchSharp models: ML.NET evaluates this model on the CPU.)
using MLNetTabular;

string outDir = "out";
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--out" && i + 1 < args.Length) outDir = args[++i];
    else
    {
        bool help = args[i] is "--help" or "-h";
        Console.Error.WriteLine(help ? "Usage: dotnet run --project samples/MLNetTabular [-- --out DIR]" : $"error: unknown option '{args[i]}'.");
        return help ? 0 : 2;
    }
}
try
{
    FluentAttrib.TorchRuntime.EnsureLoaded();
    var result = WineShap.Run(Console.Out);
    Console.WriteLine($"Additivity: Σ SHAP = P(x) − E[P] within {result.MaxAdditivityError:E1} for every wine.");
    Console.WriteLine($"{"feature",-22}{"mean |SHAP| " + result.ExplainedClass,28}{"permutation Δ log-loss",26}");
    foreach (var f in result.Importance.OrderByDescending(f => f.MeanAbsShap))
        Console.WriteLine($"{f.Feature,-22}{f.MeanAbsShap,28:F4}{f.PermutationLogLossIncrease,26:F4}");
    Directory.CreateDirectory(outDir);
    foreach (var (name, png) in result.Figures)
    {
        string path = Path.GetFullPath(Path.Combine(outDir, name));
        File.WriteAllBytes(path + ".tmp", png);
        File.Move(path + ".tmp", path, overwrite: true);
        Console.WriteLine($"Wrote {path}");
    }
    return 0;
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or FluentAttrib.TorchSharpLoadException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
