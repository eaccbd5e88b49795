using System.Collections;
using System.Reflection;
using Microsoft.CodeAnalysis.Text;

namespace FluentAttrib.Generators.Tests;

/// <summary>The pipeline is incremental: value-equatable models only, and nothing reruns for an unrelated edit.</summary>
public class CachingTests
{
    private static readonly string[] s_trackedSteps = { TrackingNames.Extract, TrackingNames.Specs };

    private const string Unrelated = "namespace Demo { public class Unrelated { public int Value => 1; } }";

    [Fact]
    public void An_unrelated_edit_leaves_every_tracked_step_cached_or_unchanged()
    {
        var compilation = TestCompilation.Create(Sources.UserModule, Sources.ResNetWrapper, Unrelated);
        var driver = CreateDriver();
        driver = driver.RunGenerators(compilation);
        var first = driver.GetRunResult().Results.Single();

        driver = driver.RunGenerators(Edit(compilation, "Source2.cs", Unrelated.Replace("=> 1", "=> 2", StringComparison.Ordinal)));
        var second = driver.GetRunResult().Results.Single();

        foreach (string step in s_trackedSteps)
        {
            Assert.True(first.TrackedSteps.ContainsKey(step), $"Step '{step}' is not tracked.");
            var reasons = second.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();
            Assert.NotEmpty(reasons);
            Assert.All(reasons, r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                $"Step '{step}' produced an output with reason {r} after an unrelated edit."));
        }
        Assert.All(second.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        Assert.Equal(first.GeneratedSources.Select(s => s.SourceText.ToString()), second.GeneratedSources.Select(s => s.SourceText.ToString()));
    }

    [Fact]
    public void Changing_a_shape_regenerates_only_that_type()
    {
        var compilation = TestCompilation.Create(Sources.UserModule, Sources.ResNetWrapper);
        var driver = CreateDriver().RunGenerators(compilation);
        driver = driver.RunGenerators(Edit(compilation, "Source1.cs", Sources.ResNetWrapper.Replace("512, 7, 7", "512, 14, 14", StringComparison.Ordinal)));
        var result = driver.GetRunResult().Results.Single();

        var reasons = result.TrackedSteps[TrackingNames.Extract].SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();
        Assert.Contains(IncrementalStepRunReason.Modified, reasons);
        Assert.Contains(IncrementalStepRunReason.Unchanged, reasons);
        Assert.Contains("512, 14, 14", result.GeneratedSources.Single(s => s.HintName.Contains("ResNet18Layers", StringComparison.Ordinal)).SourceText.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void No_step_output_holds_a_compilation_symbol_or_syntax_node()
    {
        var compilation = TestCompilation.Create(Sources.UserModule, Sources.ResNetWrapper);
        var result = CreateDriver().RunGenerators(compilation).GetRunResult().Results.Single();
        foreach (string name in s_trackedSteps)
            foreach (var step in result.TrackedSteps[name])
                foreach (var (value, _) in step.Outputs)
                    AssertPlainData(value, name, new HashSet<object>(ReferenceEqualityComparer.Instance));
    }

    private static GeneratorDriver CreateDriver() => CSharpGeneratorDriver.Create(
        new[] { new LayerGenerator().AsSourceGenerator() },
        parseOptions: TestCompilation.ParseOptions,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    private static Compilation Edit(Compilation compilation, string path, string text)
    {
        var old = compilation.SyntaxTrees.Single(t => t.FilePath == path);
        return compilation.ReplaceSyntaxTree(old, old.WithChangedText(SourceText.From(text)));
    }

    /// <summary>Walks the object graph of a step output and fails on anything that would defeat caching.</summary>
    private static void AssertPlainData(object? node, string step, HashSet<object> visited)
    {
        if (node is null) return;
        var type = node.GetType();
        Assert.False(node is Compilation or ISymbol or SyntaxNode or SemanticModel or SyntaxTree,
            $"Step '{step}' holds a {type.Name}; pipeline models must be plain data.");
        if (type.IsPrimitive || type.IsEnum || node is string) return;
        if (!type.IsValueType && !visited.Add(node)) return;
        if (node is IEnumerable items)
        {
            foreach (var item in items) AssertPlainData(item, step, visited);
            return;
        }
        foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            AssertPlainData(field.GetValue(node), step, visited);
    }
}
