using System.Reflection;

namespace FluentAttrib.Generators.Tests;

/// <summary>The generated code compiles against the real FluentAttrib assembly and holds the declared values.</summary>
public class CompileTests
{
    private const string Consumer = """
        using System.Collections.Generic;

        public static class Consumer
        {
            public static Layer<Conv2d, Rank3> Conv2 => Demo.Net.Layers.Conv2;
            public static Layer<Conv2d> Conv1 => Demo.Net.Layers.Conv1;
            public static Layer<nn.Module, Rank3> Layer4 => Demo.Vision.ResNet18Layers.Layer4;
            public static Layer<Linear, Rank1> Fc => Demo.Vision.ResNet18Layers.Fc;
            public static IReadOnlyList<Layer> NetLayers => Demo.Net.Layers.All;
            public static IReadOnlyList<Layer> ResNetLayers => Demo.Vision.ResNet18Layers.All;
        }
        """;

    [Fact]
    public void Generated_handles_have_their_paths_names_types_and_shapes_at_run_time()
    {
        var (output, _) = TestCompilation.RunGenerator(TestCompilation.Create(Sources.UserModule, Sources.ResNetWrapper, Consumer));
        var assembly = TestCompilation.EmitAndLoad(output);
        var consumer = assembly.GetType("Consumer")!;

        var net = Get<IReadOnlyList<Layer>>(consumer, "NetLayers");
        Assert.Equal(new[] { "conv1", "conv2", "fc_1", "fc_out", "act" }, net.Select(l => l.Path));
        Assert.Equal(new[] { "Conv1", "Conv2", "Hidden", "FcOut", "Relu" }, net.Select(l => l.Name));
        Assert.Null(net[0].Shape);
        Assert.Equal(new long[] { 6, 2, 2 }, net[1].Shape!.Value);
        Assert.IsType<Layer<TorchSharp.Modules.Conv2d, Rank3>>(net[1]);
        Assert.IsType<Layer<TorchSharp.Modules.ReLU>>(net[4]);

        var resnet = Get<IReadOnlyList<Layer>>(consumer, "ResNetLayers");
        Assert.Equal(new[] { "layer4", "layer4.1.conv2", "avgpool", "fc" }, resnet.Select(l => l.Path));
        Assert.Equal(new long[] { 1000 }, resnet[3].Shape!.Value);
        Assert.Same(resnet[0], Get<Layer>(consumer, "Layer4"));
        Assert.Throws<NotSupportedException>(() => ((IList<Layer>)resnet).Add("x"));
    }

    [Fact]
    public void Generated_code_has_no_warnings_with_documentation_and_nullable_checks_on()
    {
        var compilation = TestCompilation.Create(Sources.UserModule, Sources.ResNetWrapper, Consumer)
            .WithOptions(new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable,
                generalDiagnosticOption: ReportDiagnostic.Error));
        var diagnose = TestCompilation.ParseOptions.WithDocumentationMode(DocumentationMode.Diagnose);
        var documented = compilation.SyntaxTrees.Select(t => t.WithRootAndOptions(t.GetRoot(), diagnose));
        compilation = compilation.RemoveAllSyntaxTrees().AddSyntaxTrees(documented);
        var (output, _) = TestCompilation.RunGenerator(compilation, diagnose);
        var inGenerated = output.GetDiagnostics().Where(d => d.Location.SourceTree?.FilePath.EndsWith(".g.cs", StringComparison.Ordinal) ?? false).ToList();
        Assert.True(inGenerated.Count == 0, TestCompilation.Describe(inGenerated));
    }

    private static T Get<T>(Type type, string property) =>
        (T)type.GetProperty(property, BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
}
