using System.Reflection;

namespace FluentAttrib.Generators.Tests.Infrastructure;

/// <summary>In-memory compilations against the real framework, TorchSharp, TorchVision and FluentAttrib assemblies.</summary>
internal static class TestCompilation
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(() =>
    {
        string runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(p => Path.GetDirectoryName(p) == runtimeDirectory)
            .Concat(new[]
            {
                typeof(TorchSharp.torch).Assembly.Location,
                typeof(TorchSharp.Modules.ResNet).Assembly.Location,
                typeof(FluentAttrib.Layer).Assembly.Location,
            });
        return paths.Distinct().Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    });

    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Latest);

    /// <summary>Usings every test source gets, so the samples stay short.</summary>
    public const string Usings = """
        global using System;
        global using FluentAttrib;
        global using TorchSharp;
        global using TorchSharp.Modules;
        global using static TorchSharp.torch;
        """;

    public static CSharpCompilation Create(params string[] sources) =>
        CSharpCompilation.Create(
            "FluentAttrib.GeneratorTests.Input",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Source{i}.cs"))
                .Append(CSharpSyntaxTree.ParseText(Usings, ParseOptions, path: "Usings.cs")),
            s_references.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    /// <summary>Runs <see cref="LayerGenerator"/>; returns the compilation with the generated files and the run result.</summary>
    public static (Compilation Output, GeneratorDriverRunResult Result) RunGenerator(Compilation compilation, CSharpParseOptions? parseOptions = null)
    {
        GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { new LayerGenerator().AsSourceGenerator() }, parseOptions: parseOptions ?? ParseOptions);
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        return (output, driver.GetRunResult());
    }

    /// <summary>Compiler errors and warnings, formatted one per line.</summary>
    public static string Describe(IEnumerable<Diagnostic> diagnostics) =>
        string.Join("\n", diagnostics.Select(d => d.ToString()));

    /// <summary>Emits <paramref name="compilation"/> and loads it into this process.</summary>
    public static Assembly EmitAndLoad(Compilation compilation)
    {
        using var stream = new MemoryStream();
        var result = compilation.Emit(stream);
        Assert.True(result.Success, Describe(result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        return Assembly.Load(stream.ToArray());
    }
}
