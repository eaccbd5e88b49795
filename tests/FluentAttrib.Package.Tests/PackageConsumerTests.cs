using System.Globalization;
using System.Xml.Linq;
using SkiaSharp;
using Xunit;
using Xunit.Abstractions;

namespace FluentAttrib.Package.Tests;

/// <summary>
/// What a NuGet consumer of FluentAttrib gets: the packages' metadata and dependencies, and a console project
/// outside the repository that installs both packages (plus the libtorch CPU backend), uses the source generator,
/// computes attributions and saves a plot.
/// </summary>
[Collection(PackagesCollection.Name)]
public sealed class PackageConsumerTests
{
    private const int Features = 16;   // the model's input is 1×4×4
    private const int Classes = 3;
    private const int Target = 2;

    private readonly PackedPackages _packages;
    private readonly ITestOutputHelper _output;

    public PackageConsumerTests(PackedPackages packages, ITestOutputHelper output)
    {
        _packages = packages;
        _output = output;
    }

    [Fact]
    public void FluentAttrib_package_depends_on_no_libtorch_backend_and_carries_the_generator_and_build_targets()
    {
        var nuspec = _packages.Nuspec("FluentAttrib");
        // TorchSharp without a backend (the application picks libtorch) and the managed tokenizers of FluentAttrib.Text.
        Assert.Equal(["Microsoft.ML.Tokenizers", "TorchSharp"], Dependencies(nuspec));
        AssertCommonMetadata(nuspec);

        var files = _packages.Files("FluentAttrib");
        Assert.Contains("lib/net10.0/FluentAttrib.dll", files);
        Assert.Contains("analyzers/dotnet/cs/FluentAttrib.Generators.dll", files);
        foreach (var folder in new[] { "build", "buildTransitive" })
        {
            Assert.Contains($"{folder}/FluentAttrib.targets", files);
            Assert.Contains($"{folder}/LibTorchSharpCompat.cs", files);
        }
        Assert.Contains("README.md", files);
    }

    [Fact]
    public void Plotting_package_depends_on_FluentAttrib_of_the_same_version_and_ScottPlot()
    {
        var nuspec = _packages.Nuspec("FluentAttrib.Plotting");
        var dependencies = Dependencies(nuspec);
        Assert.Contains("FluentAttrib", dependencies);
        Assert.Contains("ScottPlot", dependencies);
        AssertCommonMetadata(nuspec);

        var fluentAttrib = DependencyElements(nuspec).Single(d => (string?)d.Attribute("id") == "FluentAttrib");
        Assert.Equal(_packages.Version, (string?)fluentAttrib.Attribute("version"));
        // FluentAttrib's generator and build targets must reach a project that references only the Plotting package.
        string? exclude = (string?)fluentAttrib.Attribute("exclude");
        Assert.True(string.IsNullOrEmpty(exclude), $"FluentAttrib's assets are excluded for Plotting's consumers: {exclude}");
        Assert.Contains("README.md", _packages.Files("FluentAttrib.Plotting"));
    }

    [Fact]
    public void Onnx_package_depends_on_FluentAttrib_of_the_same_version_and_the_managed_ONNX_Runtime_only()
    {
        var nuspec = _packages.Nuspec("FluentAttrib.Onnx");
        Assert.Equal(["FluentAttrib", "Microsoft.ML.OnnxRuntime.Managed"], Dependencies(nuspec).Order());
        AssertCommonMetadata(nuspec);
        var fluentAttrib = DependencyElements(nuspec).Single(d => (string?)d.Attribute("id") == "FluentAttrib");
        Assert.Equal(_packages.Version, (string?)fluentAttrib.Attribute("version"));
        Assert.True(string.IsNullOrEmpty((string?)fluentAttrib.Attribute("exclude")), "FluentAttrib's assets are excluded for the ONNX package's consumers");
        var files = _packages.Files("FluentAttrib.Onnx");
        Assert.Contains("lib/net10.0/FluentAttrib.Onnx.dll", files);
        Assert.Contains("lib/net10.0/FluentAttrib.Onnx.xml", files);
        Assert.Contains("README.md", files);
    }

    [Fact]
    public void Console_project_outside_the_repository_installs_both_packages_and_runs()
    {
        var random = new Random(20261202);
        double[] weights = Enumerable.Range(0, Classes * Features).Select(_ => Math.Round(random.NextDouble() * 4 - 2, 6)).ToArray();
        double[] pixels = Enumerable.Range(0, Features).Select(_ => Math.Round(random.NextDouble() * 2 - 1, 6)).ToArray();

        string figures = Path.Combine(_packages.Root, "figures");
        Directory.CreateDirectory(figures);
        var consumer = ConsumerProject.Write(_packages, _output, "consumer", ["FluentAttrib", "FluentAttrib.Plotting"], ["libtorch-cpu-linux-x64"],
            new Dictionary<string, string> { ["TinyNet.cs"] = TinyNet(), ["Program.cs"] = Program(weights, pixels) });
        consumer.Build("FluentAttrib", "FluentAttrib.Plotting");
        var lines = consumer.Run(figures);

        // The generator ran in the consumer's build: Consumer.TinyNet.Layers exists and names the annotated layer.
        Assert.Contains("layer: Logits", lines);

        // Integrated gradients of a linear model from a zero baseline are exactly input × weight of the target row;
        // saliency is the absolute weight (Captum's default abs=True).
        double[] expectedIg = Enumerable.Range(0, Features).Select(i => pixels[i] * weights[Target * Features + i]).ToArray();
        double[] expectedSaliency = Enumerable.Range(0, Features).Select(i => Math.Abs(weights[Target * Features + i])).ToArray();
        // (IG's quadrature weights sum to 1 only to about 1e-8, as Captum's do; saliency is exact.)
        AssertClose(expectedIg, Numbers(lines, "ig:"), relative: 1e-6);
        AssertClose(expectedSaliency, Numbers(lines, "saliency:"), relative: 1e-12);

        // The figure was written and is a PNG that decodes.
        string png = Path.Combine(figures, "ig.png");
        Assert.Contains($"png: {png}", lines);
        Assert.True(File.Exists(png), "the consumer wrote no PNG");
        using var bitmap = SKBitmap.Decode(png);
        Assert.NotNull(bitmap);
        Assert.True(bitmap.Width >= 100 && bitmap.Height >= 100, $"unexpected PNG size {bitmap.Width}×{bitmap.Height}");
    }

    private static void AssertCommonMetadata(XDocument nuspec)
    {
        var metadata = nuspec.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        string? Value(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;
        var license = metadata.Elements().Single(e => e.Name.LocalName == "license");
        Assert.Equal("expression", (string?)license.Attribute("type"));
        Assert.Equal("MIT", license.Value);
        Assert.Equal("README.md", Value("readme"));
        Assert.False(string.IsNullOrWhiteSpace(Value("description")));
        Assert.Contains("attribution", Value("tags") ?? "");
        Assert.Equal("The FluentAttrib authors", Value("authors"));
    }

    private static IEnumerable<XElement> DependencyElements(XDocument nuspec) =>
        nuspec.Descendants().Where(e => e.Name.LocalName == "dependency");

    private static string[] Dependencies(XDocument nuspec) =>
        DependencyElements(nuspec).Select(d => (string)d.Attribute("id")!).Distinct().Order(StringComparer.Ordinal).ToArray();

    private static double[] Numbers(string[] lines, string prefix)
    {
        var line = lines.SingleOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))
                   ?? throw new Xunit.Sdk.XunitException($"the consumer printed no '{prefix}' line");
        return line[prefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
    }

    private static void AssertClose(double[] expected, double[] actual, double relative)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * Math.Abs(expected[i]) + 1e-15,
                $"element {i}: expected {expected[i]:R}, got {actual[i]:R}");
    }

    private static string Literal(double[] values) =>
        string.Join(", ", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));

    /// <summary>The consumer's model: a linear layer annotated for the package's source generator.</summary>
    private static string TinyNet() => $$"""
            using FluentAttrib;
            using TorchSharp.Modules;
            using static TorchSharp.torch;

            namespace Consumer;

            /// <summary>Flatten, then one linear layer ({{Features}} → {{Classes}}) with the given weights and no bias.</summary>
            [Explainable]
            public sealed partial class TinyNet : nn.Module<Tensor, Tensor>
            {
                private readonly Flatten flatten = nn.Flatten();
                [AttributionLayer({{Classes}}, Name = "Logits")] private readonly Linear fc = nn.Linear({{Features}}, {{Classes}}, hasBias: false, dtype: ScalarType.Float64);

                public TinyNet(double[] weights) : base(nameof(TinyNet))
                {
                    RegisterComponents();
                    using (no_grad())
                    using (var w = tensor(weights, dtype: ScalarType.Float64).reshape({{Classes}}, {{Features}}))
                        fc.weight!.copy_(w);
                }

                public override Tensor forward(Tensor input) => fc.call(flatten.call(input));
            }
            """;

    /// <summary>The consumer's program: integrated gradients and saliency of the linear model, and a PNG.</summary>
    private static string Program(double[] weights, double[] pixels) => $$"""
            using System.Globalization;
            using Consumer;
            using FluentAttrib;
            using FluentAttrib.Plotting;
            using static FluentAttrib.Fluent;
            using static TorchSharp.torch;

            ScottPlot.Fonts.Default = "DejaVu Sans";
            string figures = args[0];
            double[] weights = [{{Literal(weights)}}];
            double[] pixels = [{{Literal(pixels)}}];

            using var model = new TinyNet(weights);
            model.eval();
            using var input = tensor(pixels, dtype: ScalarType.Float64).reshape(1, 1, 4, 4);

            // Generated by the package's source generator from [AttributionLayer].
            Console.WriteLine($"layer: {TinyNet.Layers.Logits.Name}");

            using var ig = Explain(model).For({{Target}}).With(IntegratedGradients.Steps(8)).Attribute(input);
            Console.WriteLine("ig: " + Format(ig.Value));
            using var saliency = Explain(model).For({{Target}}).With(Saliency.Default).Attribute(input);
            Console.WriteLine("saliency: " + Format(saliency.Value));

            string png = Path.Combine(figures, "ig.png");
            ig.Plot(ImageView.HeatMap.All).SavePng(png);
            Console.WriteLine($"png: {png}");

            static string Format(Tensor t) =>
                string.Join(" ", t.flatten().data<double>().ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
            """;
}
