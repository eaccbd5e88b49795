using FluentAttrib.Generators.Emit;
using FluentAttrib.Generators.Model;
using FluentAttrib.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FluentAttrib.Generators
{
    /// <summary>
    /// Emits typed layer handles for types marked <c>[Explainable]</c>: a nested <c>Layers</c> class for a user's own
    /// module, static accessors on a wrapper class; plus <c>All</c>. Diagnostics come from
    /// <see cref="Diagnostics.LayerAnalyzer"/>; this generator silently skips what it cannot generate.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class LayerGenerator : IIncrementalGenerator
    {
        /// <inheritdoc />
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            IncrementalValuesProvider<ExplainableSpec?> extracted = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    KnownNames.ExplainableAttribute,
                    predicate: static (node, _) => node is ClassDeclarationSyntax,
                    transform: static (ctx, cancellationToken) =>
                        ctx.TargetSymbol is INamedTypeSymbol type && KnownSymbols.Create(ctx.SemanticModel.Compilation) is { } known
                            ? ExplainableParser.Parse(type, known, report: null, cancellationToken)
                            : null)
                .WithTrackingName(TrackingNames.Extract);

            IncrementalValuesProvider<ExplainableSpec> specs = extracted
                .Where(static spec => spec is not null)
                .Select(static (spec, _) => spec!)
                .WithTrackingName(TrackingNames.Specs);

            context.RegisterSourceOutput(specs, static (spc, spec) => spc.AddSource(spec.HintName, LayerEmitter.Emit(spec)));
        }
    }
}
