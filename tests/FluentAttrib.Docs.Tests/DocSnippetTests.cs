using System.Collections.Immutable;
using System.Text;
using System.Text.RegularExpressions;
using FluentAttrib.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace FluentAttrib.Docs.Tests;

/// <summary>
/// Every <c>```csharp</c> block of README.md and docs/*.md compiles against the real assemblies (FluentAttrib,
/// FluentAttrib.Plotting, TorchSharp, TorchVision), with the layer generator running. A block's statements run in a
/// method of a class that declares the names the docs use without defining them (<see cref="SnippetContext"/>);
/// its type declarations stand beside that class; its using directives lead the file.
/// </summary>
public sealed class DocSnippetTests
{
    public static TheoryData<string> Snippets()
    {
        var data = new TheoryData<string>();
        foreach (var (id, _) in DocSnippets.All) data.Add(id);
        return data;
    }

    [Theory]
    [MemberData(nameof(Snippets))]
    public void Snippet_compiles(string id)
    {
        var code = DocSnippets.All.Single(s => s.Id == id).Code;
        var errors = SnippetCompiler.Errors(id, code);
        Assert.True(errors.Count == 0, $"{id} does not compile:\n{string.Join("\n", errors)}\n--- snippet ---\n{code}");
    }

    [Fact]
    public void Docs_have_snippets_and_a_broken_one_is_caught()
    {
        Assert.True(DocSnippets.All.Count >= 10, $"only {DocSnippets.All.Count} C# blocks were found under docs/ and README.md");
        Assert.NotEmpty(SnippetCompiler.Errors("broken", "var m = IntegratedGradients.Steps(8).NoSuchSetting();"));
        Assert.NotEmpty(SnippetCompiler.Errors("broken-type", "Explain(model).For(1).With(LayerGradCam.Default).Attribute(x);"));
        Assert.Empty(SnippetCompiler.Errors("fine", "var m = IntegratedGradients.Steps(8).Steps(4);"));
    }
}

/// <summary>The C# blocks of the repository's Markdown, each with a stable id (file#index).</summary>
internal static class DocSnippets
{
    private static readonly Regex s_block = new(@"^```csharp[ \t]*\r?\n(.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline);

    public static IReadOnlyList<(string Id, string Code)> All { get; } = Load();

    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FluentAttrib.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("FluentAttrib.sln not found above " + AppContext.BaseDirectory);
        }
    }

    private static List<(string, string)> Load()
    {
        string root = RepositoryRoot;
        var files = new List<string> { Path.Combine(root, "README.md") };
        var docs = Path.Combine(root, "docs");
        if (Directory.Exists(docs)) files.AddRange(Directory.GetFiles(docs, "*.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
        var result = new List<(string, string)>();
        foreach (var file in files)
        {
            string rel = Path.GetRelativePath(root, file).Replace('\\', '/');
            int n = 0;
            foreach (Match m in s_block.Matches(File.ReadAllText(file)))
                result.Add(($"{rel}#{++n}", m.Groups[1].Value));
        }
        return result;
    }
}

/// <summary>Compiles one snippet in memory.</summary>
internal static class SnippetCompiler
{
    private static readonly CSharpParseOptions s_parse = new(LanguageVersion.Preview);

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(() =>
    {
        string runtime = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(p => Path.GetDirectoryName(p) == runtime)
            .Concat(Directory.GetFiles(AppContext.BaseDirectory, "*.dll")
                .Where(p => IsLibrary(Path.GetFileName(p))));
        return [.. paths.Distinct().Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    });

    private static bool IsLibrary(string file) =>
        file.StartsWith("FluentAttrib.", StringComparison.Ordinal) && !file.Contains("Tests", StringComparison.Ordinal) && !file.Contains("Generators", StringComparison.Ordinal)
        || file.StartsWith("TorchSharp", StringComparison.Ordinal) || file.StartsWith("TorchVision", StringComparison.Ordinal)
        || file.StartsWith("ScottPlot", StringComparison.Ordinal) || file.StartsWith("SkiaSharp", StringComparison.Ordinal)
        || file.StartsWith("Microsoft.ML.OnnxRuntime", StringComparison.Ordinal);

    private const string GlobalUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.Linq;
        global using System.Threading;
        global using FluentAttrib;
        global using FluentAttrib.Plotting;
        global using TorchSharp;
        global using TorchSharp.Modules;
        global using static FluentAttrib.Fluent;
        global using static TorchSharp.torch;
        """;

    /// <summary>The names the docs use without defining them.</summary>
    private const string Context = """
        public abstract class SnippetContext
        {
            protected nn.Module<Tensor, Tensor> model = null!, resnet = null!, net = null!, cnn = null!, textModel = null!, torchvisionResnet18 = null!;
            protected Tensor image = null!, input = null!, x = null!, tokens = null!, backgroundImages = null!, baseline = null!, mask = null!, photo = null!, series = null!, times = null!, superpixels = null!;
            protected Attribution ig = null!, saliency = null!, attribution = null!, attr = null!;
            protected IProgress<AttributionProgress> progress = null!;
            protected CancellationToken token;
            protected string[] words = [];
        }
        """;

    public static IReadOnlyList<string> Errors(string id, string code)
    {
        var tree = CSharpSyntaxTree.ParseText(code, s_parse);
        var root = (CompilationUnitSyntax)tree.GetRoot();
        var usings = new StringBuilder();
        foreach (var u in root.Usings) usings.AppendLine(u.ToFullString().Trim());
        var statements = new StringBuilder();
        var types = new StringBuilder();
        foreach (var member in root.Members)
        {
            if (member is GlobalStatementSyntax g) statements.AppendLine(g.Statement.ToFullString());
            else types.AppendLine(member.ToFullString());
        }
        string safe = Regex.Replace(id, "[^A-Za-z0-9]", "_");
        string source = $$"""
            {{usings}}
            namespace Snippet_{{safe}}
            {
            {{types}}
            internal sealed class Body : SnippetContext
            {
                internal void Run()
                {
            #line 1
            {{statements}}
            #line default
                }
            }
            }
            """;
        var compilation = CSharpCompilation.Create(
            "Snippet_" + safe,
            [CSharpSyntaxTree.ParseText(source, s_parse, path: id),
             CSharpSyntaxTree.ParseText(GlobalUsings, s_parse, path: "Usings.cs"),
             CSharpSyntaxTree.ParseText(Context, s_parse, path: "Context.cs")],
            s_references.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        GeneratorDriver driver = CSharpGeneratorDriver.Create([new LayerGenerator().AsSourceGenerator()], parseOptions: s_parse);
        driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        return [.. output.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error)
            .Select(d => d.ToString())];
    }
}
