using System.Text;
using FluentAttrib.Generators.Diagnostics;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Xunit.Sdk;

namespace FluentAttrib.Generators.Tests.Infrastructure;

/// <summary>
/// Runs <see cref="LayerAnalyzer"/> the way a build does (after the generator, so generated accessors exist) and
/// compares its diagnostics with markup in the source: <c>{|FA1001:Net|}</c> expects FA1001 exactly on <c>Net</c>.
/// Only FA diagnostics are compared, unless <see cref="VerifyAgainstRuntime"/> asks for compiler errors too.
/// </summary>
internal static class AnalyzerHarness
{
    public static void Verify(string markup, params string[] otherSources) => Verify(markup, compilerErrors: false, otherSources);

    /// <summary>
    /// As <see cref="Verify(string, string[])"/>, for sources that call the real fluent API: compiler errors are
    /// compared too (markup <c>{|CS7036:…|}</c>), so the call shapes under test are known to bind as written.
    /// </summary>
    public static void VerifyAgainstRuntime(string markup, params string[] otherSources) => Verify(markup, compilerErrors: true, otherSources);

    private static void Verify(string markup, bool compilerErrors, string[] otherSources)
    {
        var (source, expected) = ParseMarkup(markup);
        var (output, _) = TestCompilation.RunGenerator(TestCompilation.Create(otherSources.Prepend(source).ToArray()));
        var analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new LayerAnalyzer());
        var actual = output.WithAnalyzers(analyzers).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult()
            .Where(d => d.Id.StartsWith("FA", StringComparison.Ordinal))
            .ToList();
        if (compilerErrors)
            actual.AddRange(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

        var actualKeys = actual.Where(d => d.Location.SourceTree?.FilePath == "Source0.cs")
            .Select(d => (d.Id, d.Location.SourceSpan)).OrderBy(k => k.SourceSpan.Start).ThenBy(k => k.Id).ToList();
        var elsewhere = actual.Where(d => d.Location.SourceTree?.FilePath != "Source0.cs").ToList();
        var expectedKeys = expected.OrderBy(k => k.Span.Start).ThenBy(k => k.Id).ToList();

        if (elsewhere.Count == 0 && actualKeys.SequenceEqual(expectedKeys.Select(e => (e.Id, e.Span))))
            return;

        var text = SourceText.From(source);
        var message = new StringBuilder("Analyzer diagnostics differ from the markup.\nExpected:\n");
        foreach (var (id, span) in expectedKeys) message.Append($"  {id} at {Describe(text, span)}\n");
        message.Append("Actual:\n");
        foreach (var d in actual) message.Append($"  {d.Id} at {(d.Location.SourceTree?.FilePath == "Source0.cs" ? Describe(text, d.Location.SourceSpan) : d.Location.ToString())}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}\n");
        throw new XunitException(message.ToString());
    }

    /// <summary>All diagnostics (with messages) for sources without markup.</summary>
    public static IReadOnlyList<Diagnostic> Run(params string[] sources)
    {
        var (output, _) = TestCompilation.RunGenerator(TestCompilation.Create(sources));
        return output.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new LayerAnalyzer()))
            .GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
    }

    private static string Describe(SourceText text, TextSpan span)
    {
        var line = text.Lines.GetLinePosition(span.Start);
        return $"({line.Line + 1},{line.Character + 1}) '{text.ToString(span)}'";
    }

    /// <summary>Removes the markup <c>{|ID:text|}</c> (which may nest) and returns the spans it marked.</summary>
    private static (string Source, List<(string Id, TextSpan Span)> Expected) ParseMarkup(string markup)
    {
        var source = new StringBuilder();
        var expected = new List<(string, TextSpan)>();
        var open = new Stack<(string Id, int Start)>();
        int i = 0;
        while (i < markup.Length)
        {
            if (string.CompareOrdinal(markup, i, "{|", 0, 2) == 0)
            {
                int colon = markup.IndexOf(':', i);
                open.Push((markup.Substring(i + 2, colon - i - 2), source.Length));
                i = colon + 1;
            }
            else if (open.Count > 0 && string.CompareOrdinal(markup, i, "|}", 0, 2) == 0)
            {
                var (id, start) = open.Pop();
                expected.Add((id, new TextSpan(start, source.Length - start)));
                i += 2;
            }
            else source.Append(markup[i++]);
        }
        if (open.Count > 0) throw new ArgumentException("Unclosed markup {|" + open.Peek().Id + ":", nameof(markup));
        return (source.ToString(), expected);
    }
}
