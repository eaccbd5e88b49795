using System;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq;
using FluentAttrib.Generators.Model;
using FluentAttrib.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace FluentAttrib.Generators.Diagnostics
{
    /// <summary>
    /// Reports mistakes in FluentAttrib's layer annotations (see <see cref="DiagnosticDescriptors"/>) and constant
    /// neuron indices that do not fit a layer's declared shape, at call sites such as
    /// <c>Explain(model).At(Net.Layers.Conv2).Neuron(3, 1, 1)</c> (typed) or
    /// <c>Explain(model).At(Net.Layers.Conv2).Untyped.Neuron(3, 1, 1)</c> (the params overload).
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class LayerAnalyzer : DiagnosticAnalyzer
    {
        private const string NeuronMethod = "Neuron";
        private const string AtMethod = "At";
        private const string ForMethod = "For";
        private const string UntypedProperty = "Untyped";

        /// <inheritdoc />
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            DiagnosticDescriptors.TypeNotPartial,
            DiagnosticDescriptors.NotAModule,
            DiagnosticDescriptors.NotOneTensorModule,
            DiagnosticDescriptors.DuplicateName,
            DiagnosticDescriptors.PathNotFound,
            DiagnosticDescriptors.NeuronIndexOutOfRange,
            DiagnosticDescriptors.NeuronArity,
            DiagnosticDescriptors.NonPositiveDimension,
            DiagnosticDescriptors.RankTooHigh,
            DiagnosticDescriptors.InvalidPath,
            DiagnosticDescriptors.InvalidName,
            DiagnosticDescriptors.AttributeIgnored);

        /// <inheritdoc />
        public override void Initialize(AnalysisContext context)
        {
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.EnableConcurrentExecution();
            context.RegisterCompilationStartAction(start =>
            {
                var known = KnownSymbols.Create(start.Compilation);
                if (known is null) return;
                var resolver = new ModulePathResolver(start.Compilation);
                var specs = new ConcurrentDictionary<INamedTypeSymbol, ExplainableSpec?>(SymbolEqualityComparer.Default);
                start.RegisterSymbolAction(c => AnalyzeType(c, known, resolver), SymbolKind.NamedType);
                start.RegisterSymbolAction(c => AnalyzeField(c, known), SymbolKind.Field);
                start.RegisterSyntaxNodeAction(c => AnalyzeNeuron(c, known, specs), SyntaxKind.InvocationExpression);
            });
        }

        private static void AnalyzeType(SymbolAnalysisContext context, KnownSymbols known, ModulePathResolver resolver)
        {
            var type = (INamedTypeSymbol)context.Symbol;
            var attributes = type.GetAttributes();
            if (!attributes.Any(a => KnownSymbols.Is(a.AttributeClass, known.Explainable)))
            {
                foreach (var attribute in attributes.Where(a => KnownSymbols.Is(a.AttributeClass, known.LayerAttribute)))
                    context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.AttributeIgnored,
                        new AttributeSyntaxLocator(attribute, context.CancellationToken).Attribute,
                        "Layer", type.Name, $"'{type.Name}' is not marked [Explainable]"));
                return;
            }

            ExplainableParser.Parse(type, known, context.ReportDiagnostic, context.CancellationToken);

            var root = ExplainableParser.ModelType(type, known);
            if (root is null) return;
            foreach (var (attribute, path) in ExplainableParser.LayerPaths(type, known))
            {
                context.CancellationToken.ThrowIfCancellationRequested();
                if (resolver.FindMissing(root, path) is not { } missing) continue;
                string[] segments = path.Split('.');
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.PathNotFound,
                    new AttributeSyntaxLocator(attribute, context.CancellationToken).Argument(0),
                    path, root.ToDisplayString(), missing.Owner, segments[missing.Segment],
                    missing.Children.Count == 0 ? "none" : string.Join(", ", missing.Children)));
            }
        }

        private static void AnalyzeField(SymbolAnalysisContext context, KnownSymbols known)
        {
            var field = (IFieldSymbol)context.Symbol;
            var attribute = field.GetAttributes().FirstOrDefault(a => KnownSymbols.Is(a.AttributeClass, known.AttributionLayer));
            if (attribute is null) return;
            var type = field.ContainingType;
            if (type.GetAttributes().Any(a => KnownSymbols.Is(a.AttributeClass, known.Explainable))) return; // the type's analysis covers it
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.AttributeIgnored,
                new AttributeSyntaxLocator(attribute, context.CancellationToken).Attribute,
                "AttributionLayer", field.Name, $"'{type.Name}' is not marked [Explainable]"));
        }

        private static void AnalyzeNeuron(SyntaxNodeAnalysisContext context, KnownSymbols known,
            ConcurrentDictionary<INamedTypeSymbol, ExplainableSpec?> specs)
        {
            var invocation = (InvocationExpressionSyntax)context.Node;
            if (invocation.Expression is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: NeuronMethod } access) return;
            if (known.NeuronAxis is null || invocation.ArgumentList.Arguments.Count == 0) return;
            if (FindHandle(access.Expression) is not { } handle) return;
            var model = context.SemanticModel;
            var layer = FindLayer(model.GetSymbolInfo(handle, context.CancellationToken).Symbol as IPropertySymbol, known, specs, context);
            if (layer is null || layer.Shape.Count == 0) return;
            if (NeuronArguments.Read(invocation, model, known.NeuronAxis, context.CancellationToken) is not { } indices) return;

            string shape = string.Join(", ", layer.Shape);
            if (indices.Count != layer.Shape.Count)
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.NeuronArity, invocation.ArgumentList.GetLocation(),
                    layer.Name, shape, layer.Shape.Count == 1 ? "1 index" : $"{layer.Shape.Count} indices", indices.Count));
                return;
            }
            for (int i = 0; i < indices.Count; i++)
            {
                if (NeuronArguments.Problem(indices[i], layer.Shape[i], known.NeuronAxis) is not { } problem) continue;
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.NeuronIndexOutOfRange, indices[i]!.Syntax.GetLocation(),
                    problem.Index, i, layer.Name, shape, problem.Reason));
            }
        }

        /// <summary>
        /// The layer handle a <c>Neuron(…)</c> call is about: the argument of the <c>At(…)</c> that starts the layer
        /// step (<c>Explain(m).At(Net.Layers.Conv2).Neuron(…)</c>), through <c>.For(…)</c> and <c>.Untyped</c>, with casts
        /// removed (<c>At((Layer)Net.Layers.Conv2)</c> takes the untyped overload but names the same layer). Null for
        /// <c>AtInputOf</c> (a declared shape is the layer's output shape) and for anything else.
        /// </summary>
        private static ExpressionSyntax? FindHandle(ExpressionSyntax receiver)
        {
            var expression = receiver;
            while (true)
            {
                switch (expression)
                {
                    case ParenthesizedExpressionSyntax parenthesized:
                        expression = parenthesized.Expression;
                        continue;
                    case MemberAccessExpressionSyntax { Name.Identifier.ValueText: UntypedProperty } untyped:
                        expression = untyped.Expression;
                        continue;
                    case InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access } call:
                        switch (access.Name.Identifier.ValueText)
                        {
                            case AtMethod:
                                return call.ArgumentList.Arguments.Count == 1 ? WithoutCasts(call.ArgumentList.Arguments[0].Expression) : null;
                            case ForMethod:
                                expression = access.Expression;
                                continue;
                            default:
                                return null;
                        }
                    default:
                        return null;
                }
            }
        }

        private static ExpressionSyntax WithoutCasts(ExpressionSyntax expression)
        {
            while (true)
            {
                switch (expression)
                {
                    case ParenthesizedExpressionSyntax parenthesized:
                        expression = parenthesized.Expression;
                        continue;
                    case CastExpressionSyntax cast:
                        expression = cast.Expression;
                        continue;
                    case BinaryExpressionSyntax binary when binary.IsKind(SyntaxKind.AsExpression):
                        expression = binary.Left;
                        continue;
                    case PostfixUnaryExpressionSyntax bang when bang.IsKind(SyntaxKind.SuppressNullableWarningExpression):
                        expression = bang.Operand;
                        continue;
                    default:
                        return expression;
                }
            }
        }

        /// <summary>The generated layer a static property stands for, looked up in the annotations that produced it.</summary>
        private static LayerSpec? FindLayer(IPropertySymbol? property, KnownSymbols known,
            ConcurrentDictionary<INamedTypeSymbol, ExplainableSpec?> specs, SyntaxNodeAnalysisContext context)
        {
            if (property is not { IsStatic: true, Type: INamedTypeSymbol handleType }) return null;
            var definition = handleType.OriginalDefinition;
            if (!SymbolEqualityComparer.Default.Equals(definition, known.Layer1) && !SymbolEqualityComparer.Default.Equals(definition, known.Layer2))
                return null;

            var container = property.ContainingType;
            INamedTypeSymbol? explainable = null;
            if (IsExplainable(container, known, wrapper: true))
                explainable = container;
            else if (container.Name == ExplainableParser.LayersClassName && container.ContainingType is { } outer && IsExplainable(outer, known, wrapper: false))
                explainable = outer;
            if (explainable is null) return null;

            var spec = specs.GetOrAdd(explainable, t => ExplainableParser.Parse(t, known, report: null, context.CancellationToken));
            return spec?.Layers.FirstOrDefault(l => l.Name == property.Name);
        }

        private static bool IsExplainable(INamedTypeSymbol type, KnownSymbols known, bool wrapper) =>
            type.GetAttributes().Any(a => KnownSymbols.Is(a.AttributeClass, known.Explainable) && (a.ConstructorArguments.Length == 1) == wrapper);
    }
}
