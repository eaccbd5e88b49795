using System.Reflection;
using FluentAttrib.Pretrained.Onnx;

namespace FluentAttrib.Pretrained;

/// <summary>
/// The ImageNet-pretrained ResNet18 backbone (no classifier) that ML.NET ships as ONNX in the NuGet package
/// <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> (MIT), and its preprocessing. Restoring FluentAttrib.Pretrained
/// downloads the package; the build records where, so nothing has to be fetched by hand.
/// </summary>
/// <remarks>
/// The network has stages of [2, 2, 2, 3] basic blocks (one more block in the last stage than torchvision's
/// resnet18), unfolded batch norm, and ends at the 512-d global average pool. It takes 1×3×224×224 input prepared
/// by <see cref="ResNetPreprocess"/> (BGR, minus a mean image, values around ±128).
/// </remarks>
public static class PretrainedResNet18
{
    /// <summary>The NuGet package that ships the two ONNX files.</summary>
    public const string PackageId = "Microsoft.ML.DnnImageFeaturizer.ResNet18";

    /// <summary>Environment variable that, when set, names the <c>DnnImageModels</c> folder to use instead.</summary>
    public const string DirectoryVariable = "FLUENTATTRIB_DNNIMAGEMODELS";

    /// <summary>Blocks per stage.</summary>
    public static IReadOnlyList<int> Layout { get; } = [2, 2, 2, 3];

    /// <summary>Side of the square input.</summary>
    public const int InputSize = 224;

    /// <summary>Length of the feature vector.</summary>
    public const int FeatureCount = 512;

    /// <summary>The network file, <c>ResNet18Onnx/ResNet18.onnx</c> in the package's <c>DnnImageModels</c> folder.</summary>
    /// <exception cref="FileNotFoundException">The package's folder cannot be found (the message lists where it looked).</exception>
    public static string NetworkPath => Find(Path.Combine("ResNet18Onnx", "ResNet18.onnx"));

    /// <summary>The preprocessing file, <c>ResNetPrepOnnx/ResNetPreprocess.onnx</c>.</summary>
    /// <exception cref="FileNotFoundException">The package's folder cannot be found (the message lists where it looked).</exception>
    public static string PreprocessPath => Find(Path.Combine("ResNetPrepOnnx", "ResNetPreprocess.onnx"));

    /// <summary>Imports the backbone's weights under TorchVision's state-dict names.</summary>
    /// <exception cref="FileNotFoundException">The ONNX file cannot be found.</exception>
    /// <exception cref="OnnxImportException">The file is not the expected network.</exception>
    public static ImportedResNet ImportWeights(string? path = null)
    {
        var imported = ResNetOnnxImporter.Import(path ?? NetworkPath);
        if (!imported.Layout.SequenceEqual(Layout))
        {
            var layout = string.Join(", ", imported.Layout);
            imported.Dispose();
            throw new OnnxImportException(path ?? NetworkPath, $"a ResNet with stages [{layout}], not ML.NET's ResNet18 [2, 2, 2, 3].");
        }
        return imported;
    }

    /// <summary>
    /// Builds TorchVision's ResNet with [2, 2, 2, 3] basic blocks and a <paramref name="numClasses"/>-way <c>fc</c>
    /// (randomly initialised: load a head into it), with the pretrained backbone loaded, in evaluation mode.
    /// </summary>
    public static TorchSharp.Modules.ResNet Create(int numClasses, string? path = null)
    {
        using var weights = ImportWeights(path);
        return weights.CreateModel(numClasses);
    }

    /// <summary>Loads the preprocessing (RGB 0–255 → BGR minus the mean image).</summary>
    public static ResNetPreprocess LoadPreprocess(string? path = null) => ResNetPreprocess.Load(path ?? PreprocessPath);

    /// <summary>The folders searched for the package's <c>DnnImageModels</c>, in order.</summary>
    public static IReadOnlyList<string> SearchDirectories()
    {
        var dirs = new List<string>();
        if (Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 } fromEnvironment) dirs.Add(fromEnvironment);
        dirs.Add(Path.Combine(AppContext.BaseDirectory, "DnnImageModels"));
        var recorded = typeof(PretrainedResNet18).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "FluentAttrib.Pretrained.DnnImageModels")?.Value;
        if (!string.IsNullOrEmpty(recorded)) dirs.Add(recorded);
        return dirs;
    }

    private static string Find(string relative)
    {
        var dirs = SearchDirectories();
        foreach (var dir in dirs)
        {
            string candidate = Path.Combine(dir, relative);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException(
            $"{Path.GetFileName(relative)} was not found. It comes with the NuGet package {PackageId}, which restoring " +
            $"FluentAttrib.Pretrained downloads (run `dotnet restore`), or set {DirectoryVariable} to a folder holding " +
            $"{relative}. Looked in: {string.Join("; ", dirs)}.", relative);
    }
}
