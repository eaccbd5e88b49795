using System.Text;
using FluentAttrib.Generators.Diagnostics;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Xunit.Sdk;

namespace FluentAttrib.Generators.Tests.Infrastructure;

/// <summary>
/// Runs <see cref="LayerAnalyzer"/> the way a build does (after the generator, so generated accessors exist) and
/// compares its diagnostics with markup in the source: <c>{|FA1001:Net|}</c> expects FA1001 exactly on <c>Net</c>.
/// Only FA diagnostics are compared; compiler diagnostics are not (the stubs of the fluent API need not bind).
/// </summary>
internal static class AnalyzerHarness
{
    public static void Verify(string markup, params string[] otherSources)
    {
        var (source, expected) = ParseMarkup(markup);
        var (output, _) = TestCompilation.RunGenerator(TestCompilation.Create(otherSources.Prepend(source).ToArray()));
        var analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new LayerAnalyzer());
        var actual = output.WithAnalyzers(analyzers).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult()
            .Where(d => d.Id.StartsWith("FA", StringComparison.Ordinal))
            .ToList();

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

    private static (string Source, List<(string Id, TextSpan Span)> Expected) ParseMarkup(string markup)
    {
        var source = new StringBuilder();
        var expected = new List<(string, TextSpan)>();
        int i = 0;
        while (i < markup.Length)
        {
            int open = markup.IndexOf("{|", i, StringComparison.Ordinal);
            if (open < 0) { source.Append(markup, i, markup.Length - i); break; }
            source.Append(markup, i, open - i);
            int colon = markup.IndexOf(':', open);
            int close = markup.IndexOf("|}", colon, StringComparison.Ordinal);
            string id = markup.Substring(open + 2, colon - open - 2);
            string content = markup.Substring(colon + 1, close - colon - 1);
            expected.Add((id, new TextSpan(source.Length, content.Length)));
            source.Append(content);
            i = close + 2;
        }
        return (source.ToString(), expected);
    }
}
