using System.Globalization;
using Xunit;
using Xunit.Abstractions;

namespace FluentAttrib.Package.Tests;

/// <summary>
/// What a NuGet consumer of FluentAttrib.Onnx gets: a console project outside the repository that installs the package
/// (plus what an application adds: the native ONNX Runtime and the libtorch CPU backend), runs a real network — ML.NET's
/// ImageNet-pretrained ResNet18 backbone as ONNX — through <c>Explain(session)</c> with FeatureAblation over 16 square
/// cells, and checks every cell's value against the drop of the explained feature computed with the session's own API.
/// </summary>
[Collection(PackagesCollection.Name)]
public sealed class OnnxPackageTests(PackedPackages packages, ITestOutputHelper output)
{
    [Fact]
    public void Console_project_outside_the_repository_explains_an_onnx_network_with_the_package()
    {
        // The backbone comes with ML.NET's NuGet package (downloaded by this project's restore, PackageDownload).
        string network = Path.Combine(packages.MachinePackagesFolder, "microsoft.ml.dnnimagefeaturizer.resnet18",
            packages.PinnedProperty("DnnImageFeaturizerResNet18Version"), "tools", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");
        Assert.True(File.Exists(network), $"the ResNet18 ONNX is not at {network} (restore this test project)");

        var consumer = ConsumerProject.Write(packages, output, "onnx-consumer", ["FluentAttrib.Onnx"],
            ["libtorch-cpu-linux-x64", "Microsoft.ML.OnnxRuntime"], new Dictionary<string, string> { ["Program.cs"] = Program });
        consumer.Build("FluentAttrib.Onnx", "FluentAttrib");
        var lines = consumer.Run(network);

        Assert.Contains("shape: 1 3 224 224", lines);
        Assert.Contains("cells: 16", lines);
        Assert.Contains(lines, l => l.StartsWith("method: FeatureAblation", StringComparison.Ordinal));
        // Every cell's attribution is the drop of the feature when that cell is zeroed, relative to the largest drop.
        double Number(string prefix) => double.Parse(lines.Single(l => l.StartsWith(prefix, StringComparison.Ordinal))[prefix.Length..], CultureInfo.InvariantCulture);
        double scale = Number("scale:"), error = Number("max error:");
        Assert.True(scale > 1e-3, $"the cells barely change the feature ({scale}): the check would prove nothing");
        Assert.True(error <= 1e-5, $"FeatureAblation through the session differs from the session's own outputs by {error} of the scale");
    }

    /// <summary>
    /// The consumer's program: FeatureAblation of feature 7 of the backbone's pooled output over 4×4 cells of a seeded
    /// image, and the same drops computed with ONNX Runtime's API (one run per zeroed cell).
    /// </summary>
    private const string Program = """
            using System.Globalization;
            using FluentAttrib;
            using FluentAttrib.Onnx;
            using Microsoft.ML.OnnxRuntime;
            using Microsoft.ML.OnnxRuntime.Tensors;
            using static FluentAttrib.Fluent;
            using static FluentAttrib.Onnx.OnnxFluent;
            using static TorchSharp.torch;

            const int Side = 224, Cells = 4, Cell = Side / Cells, Feature = 7;
            using var session = new InferenceSession(args[0]);          // one input (1, 3, 224, 224), one output (1, 512, 1, 1)
            string inputName = session.InputMetadata.Keys.Single();

            using var generator = new Generator(11);
            using var image = rand([1, 3, Side, Side], generator: generator) * 200 - 100;   // about the range of the preprocessed photos
            var rows = arange(Side, dtype: ScalarType.Int64).div(Cell, rounding_mode: RoundingMode.floor);
            using var cells = (rows.unsqueeze(1) * Cells + rows.unsqueeze(0)).reshape(1, 1, Side, Side);
            var feature = Target.Score(o => o.flatten(1)[.., Feature], $"feature {Feature}");

            using var ablation = Explain(session).For(feature).With(FeatureAblation.Default.Mask(cells)).Attribute(image);
            Console.WriteLine("method: " + ablation.Method);
            Console.WriteLine("shape: " + string.Join(" ", ablation.Value.shape));

            // The same drops with the session's own API.
            float[] pixels = image.data<float>().ToArray();
            float[] values = ablation.Value.data<float>().ToArray();
            float Run(float[] x)
            {
                using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, new DenseTensor<float>(x, [1, 3, Side, Side]))]);
                return results.First().AsEnumerable<float>().ElementAt(Feature);
            }
            float clean = Run(pixels);
            double error = 0, scale = 0;
            int count = 0;
            for (int c = 0; c < Cells * Cells; c++, count++)
            {
                var zeroed = (float[])pixels.Clone();
                var positions = new List<int>();
                for (int channel = 0; channel < 3; channel++)
                    for (int y = c / Cells * Cell; y < (c / Cells + 1) * Cell; y++)
                        for (int x = c % Cells * Cell; x < (c % Cells + 1) * Cell; x++)
                            positions.Add((channel * Side + y) * Side + x);
                foreach (int p in positions) zeroed[p] = 0;
                double expected = clean - Run(zeroed);
                scale = Math.Max(scale, Math.Abs(expected));
                foreach (int p in positions) error = Math.Max(error, Math.Abs(values[p] - expected));
            }
            Console.WriteLine($"cells: {count}");
            Console.WriteLine("scale: " + scale.ToString("R", CultureInfo.InvariantCulture));
            Console.WriteLine("max error: " + (error / scale).ToString("R", CultureInfo.InvariantCulture));
            """;
}
