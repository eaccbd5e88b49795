using System.Globalization;
using Xunit;
using Xunit.Abstractions;

namespace FluentAttrib.Package.Tests;

/// <summary>
/// What a NuGet consumer of FluentAttrib.MLNet gets: its dependencies, and a console project outside the repository
/// that installs it (plus the libtorch CPU backend), trains an ML.NET linear model and explains it.
/// </summary>
[Collection(PackagesCollection.Name)]
public sealed class MLNetPackageTests(PackedPackages packages, ITestOutputHelper output)
{
    [Fact]
    public void MLNet_package_depends_on_FluentAttrib_of_the_same_version_and_Microsoft_ML()
    {
        var nuspec = packages.Nuspec("FluentAttrib.MLNet");
        var dependencies = nuspec.Descendants().Where(e => e.Name.LocalName == "dependency").ToArray();
        var ids = dependencies.Select(d => (string)d.Attribute("id")!).ToArray();
        Assert.Contains("FluentAttrib", ids);
        Assert.Contains("Microsoft.ML", ids);
        Assert.DoesNotContain("ScottPlot", ids); // the views live in FluentAttrib.Plotting; this package does not draw
        var fluentAttrib = dependencies.Single(d => (string?)d.Attribute("id") == "FluentAttrib");
        Assert.Equal(packages.Version, (string?)fluentAttrib.Attribute("version"));
        Assert.True(string.IsNullOrEmpty((string?)fluentAttrib.Attribute("exclude")), "FluentAttrib's build targets must reach MLNet's consumers");
        var files = packages.Files("FluentAttrib.MLNet");
        Assert.Contains("lib/net10.0/FluentAttrib.MLNet.dll", files);
        Assert.Contains("lib/net10.0/FluentAttrib.MLNet.xml", files);
        Assert.Contains("README.md", files);
        var metadata = nuspec.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        Assert.Equal("MIT", metadata.Elements().Single(e => e.Name.LocalName == "license").Value);
    }

    [Fact]
    public void Console_project_outside_the_repository_explains_an_ml_net_model_with_the_package()
    {
        var consumer = ConsumerProject.Write(packages, output, "mlnet-consumer", ["FluentAttrib.MLNet"], ["libtorch-cpu-linux-x64"],
            new Dictionary<string, string> { ["Program.cs"] = Program });
        consumer.Build("FluentAttrib.MLNet");
        var lines = consumer.Run();
        // The consumer prints the largest difference between Kernel SHAP and the exact Shapley values of its linear
        // model, relative to the largest exact value (the model scores in float32).
        var line = lines.Single(l => l.StartsWith("max error:", StringComparison.Ordinal));
        double error = double.Parse(line["max error:".Length..], CultureInfo.InvariantCulture);
        Assert.True(error < 1e-5, $"Kernel SHAP differs from the exact Shapley values by {error} (relative)");
        Assert.Contains("features: A, B, C", lines);
    }

    /// <summary>The consumer's program: trains an SDCA linear regression on A, B, C and compares Kernel SHAP with its exact Shapley values.</summary>
    private const string Program = """
            using System.Globalization;
            using FluentAttrib;
            using FluentAttrib.MLNet;
            using Microsoft.ML;

            var ml = new MLContext(seed: 0);
            var random = new Random(7);
            Row Make() { var r = new Row { A = random.NextSingle(), B = random.NextSingle(), C = random.NextSingle() }; r.Label = 2 * r.A - r.B + 0.5f * r.C; return r; }
            var train = Enumerable.Range(0, 200).Select(_ => Make()).ToList();
            var model = ml.Transforms.Concatenate("Features", "A", "B", "C").Append(ml.Regression.Trainers.Sdca(maximumNumberOfIterations: 20))
                .Fit(ml.Data.LoadFromEnumerable(train));
            var w = model.LastTransformer.Model.Weights;
            var background = train.Take(20).ToList();
            var rows = Enumerable.Range(0, 4).Select(_ => Make()).ToList();
            var explainer = MLNetModel.From(model, ml.Data.LoadFromEnumerable(background));
            Console.WriteLine("features: " + string.Join(", ", explainer.FeatureNames));
            using var shap = explainer.With(KernelShap.Samples(30).Seed(0)).Attribute(ml.Data.LoadFromEnumerable(rows));
            var phi = shap.Value.data<double>().ToArray();
            double error = 0, scale = 0;
            for (int r = 0; r < rows.Count; r++)
            {
                float[] x = [rows[r].A, rows[r].B, rows[r].C];
                for (int f = 0; f < 3; f++)
                {
                    double mean = background.Average(b => (double)(f == 0 ? b.A : f == 1 ? b.B : b.C));
                    double exact = w[f] * (x[f] - mean);
                    error = Math.Max(error, Math.Abs(phi[r * 3 + f] - exact));
                    scale = Math.Max(scale, Math.Abs(exact));
                }
            }
            Console.WriteLine("max error: " + (error / scale).ToString("R", CultureInfo.InvariantCulture));

            public sealed class Row
            {
                public float A { get; set; }
                public float B { get; set; }
                public float C { get; set; }
                public float Label { get; set; }
            }
            """;
}
