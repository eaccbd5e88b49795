using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using FluentAttrib.Generators.Diagnostics;
using FluentAttrib.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FluentAttrib.Generators.Parsing
{
    /// <summary>
    /// Reads an <c>[Explainable]</c> type into an <see cref="ExplainableSpec"/>. The generator and the analyzer share
    /// it, so they agree on which accessors exist: the generator passes no sink and skips what cannot be generated;
    /// the analyzer passes a sink and gets a diagnostic for each skipped or suspicious thing.
    /// </summary>
    internal static class ExplainableParser
    {
        /// <summary>Name of the nested class that holds a module's accessors.</summary>
        public const string LayersClassName = "Layers";

        /// <summary>Name of the generated list of all layers.</summary>
        public const string AllPropertyName = "All";

        /// <summary>Marks the files this generator writes (hint names end so).</summary>
        public const string HintSuffix = ".Layers.g.cs";

        private const int MaxRank = 4;

        /// <summary>Parses <paramref name="type"/>; null when it is not marked or (without a sink) cannot be generated.</summary>
        public static ExplainableSpec? Parse(INamedTypeSymbol type, KnownSymbols known, Action<Diagnostic>? report, CancellationToken cancellationToken)
        {
            var explainable = type.GetAttributes().FirstOrDefault(a => KnownSymbols.Is(a.AttributeClass, known.Explainable));
            if (explainable is null) return null;

            bool isWrapper = explainable.ConstructorArguments.Length == 1;
            ITypeSymbol modelType = type;
            if (isWrapper)
            {
                if (explainable.ConstructorArguments[0].Value is ITypeSymbol wrapped)
                {
                    modelType = wrapped;
                    if (!known.IsModule(wrapped))
                        Report(report, DiagnosticDescriptors.NotAModule, new AttributeSyntaxLocator(explainable, cancellationToken).Argument(0),
                            "The wrapped model type", wrapped.ToDisplayString());
                }
            }
            else if (!known.IsModule(type))
            {
                Report(report, DiagnosticDescriptors.NotAModule, new AttributeSyntaxLocator(explainable, cancellationToken).Attribute,
                    $"Class '{type.Name}', marked [Explainable] without a model type,", type.ToDisplayString());
            }

            bool partial = CheckPartial(type, report, cancellationToken);
            if (!partial && report is null) return null;

            var layers = new List<LayerSpec>();
            var taken = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [AllPropertyName] = "the generated 'All' property",
                [isWrapper ? type.Name : LayersClassName] = isWrapper ? $"its enclosing class '{type.Name}'" : $"its enclosing class '{LayersClassName}'",
            };

            foreach (var member in type.GetMembers())
            {
                if (member is not IFieldSymbol field) continue;
                var attribute = field.GetAttributes().FirstOrDefault(a => KnownSymbols.Is(a.AttributeClass, known.AttributionLayer));
                if (attribute is null) continue;
                cancellationToken.ThrowIfCancellationRequested();
                if (isWrapper)
                {
                    Report(report, DiagnosticDescriptors.AttributeIgnored, new AttributeSyntaxLocator(attribute, cancellationToken).Attribute,
                        "AttributionLayer", field.Name, $"'{type.Name}' is a wrapper; name layers of the wrapped model with [Layer(path, name)] on the class");
                    continue;
                }
                var layer = ParseField(field, attribute, known, report, cancellationToken, out var nameLocation);
                if (layer is not null && Claim(layer.Name, nameLocation, type, isWrapper, taken, report))
                    layers.Add(layer);
            }

            foreach (var attribute in type.GetAttributes())
            {
                if (!KnownSymbols.Is(attribute.AttributeClass, known.LayerAttribute)) continue;
                cancellationToken.ThrowIfCancellationRequested();
                var layer = ParseLayerAttribute(attribute, known, report, cancellationToken, out var nameLocation);
                if (layer is not null && Claim(layer.Name, nameLocation, type, isWrapper, taken, report))
                    layers.Add(layer);
            }

            if (!partial) return null;
            return new ExplainableSpec(
                HintName(type),
                type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
                new EquatableArray<TypeDeclarationSpec>(ContainingTypes(type)),
                NameWithTypeParameters(type),
                isWrapper,
                modelType.ToDisplayString(),
                new EquatableArray<LayerSpec>(layers));
        }

        /// <summary>The <c>[Layer]</c> attributes on the class, with their (valid) paths, for the path check.</summary>
        public static IEnumerable<(AttributeData Attribute, string Path)> LayerPaths(INamedTypeSymbol type, KnownSymbols known)
        {
            foreach (var attribute in type.GetAttributes())
            {
                if (!KnownSymbols.Is(attribute.AttributeClass, known.LayerAttribute)) continue;
                if (attribute.ConstructorArguments.Length != 3 || attribute.ConstructorArguments[0].Value is not string path) continue;
                if (PathProblem(path) is null) yield return (attribute, path);
            }
        }

        /// <summary>The model type whose module tree the paths of <paramref name="type"/> name.</summary>
        public static ITypeSymbol? ModelType(INamedTypeSymbol type, KnownSymbols known)
        {
            var explainable = type.GetAttributes().FirstOrDefault(a => KnownSymbols.Is(a.AttributeClass, known.Explainable));
            if (explainable is null) return null;
            return explainable.ConstructorArguments.Length == 1 ? explainable.ConstructorArguments[0].Value as ITypeSymbol : type;
        }

        private static LayerSpec? ParseField(IFieldSymbol field, AttributeData attribute, KnownSymbols known, Action<Diagnostic>? report,
            CancellationToken cancellationToken, out Location nameLocation)
        {
            var locator = new AttributeSyntaxLocator(attribute, cancellationToken);
            var memberLocation = field.Locations.FirstOrDefault() ?? Location.None;
            nameLocation = memberLocation;
            if (!known.IsModule(field.Type))
            {
                Report(report, DiagnosticDescriptors.NotAModule, memberLocation, $"Field '{field.Name}'", field.Type.ToDisplayString());
                return null;
            }
            if (KnownSymbols.UnhookableSignature(field.Type) is { } signature)
                Report(report, DiagnosticDescriptors.NotOneTensorModule, memberLocation, $"Field '{field.Name}' ({field.Type.ToDisplayString()})", signature);

            string? explicitName = NamedString(attribute, "Name");
            if (explicitName is not null) nameLocation = locator.Named("Name") ?? memberLocation;
            string name = explicitName ?? ToPascalCase(field.Name);
            if (!IsValidIdentifier(name))
            {
                Report(report, DiagnosticDescriptors.InvalidName, nameLocation, name);
                return null;
            }

            var shape = attribute.ConstructorArguments.Length == 1 ? ReadShape(attribute.ConstructorArguments[0], 0, name, locator, report) : new EquatableArray<long>();
            string path = ComponentName(field, known) ?? field.Name;
            string moduleType = field.Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
            return new LayerSpec(name, path, moduleType, shape);
        }

        private static LayerSpec? ParseLayerAttribute(AttributeData attribute, KnownSymbols known, Action<Diagnostic>? report,
            CancellationToken cancellationToken, out Location nameLocation)
        {
            var locator = new AttributeSyntaxLocator(attribute, cancellationToken);
            nameLocation = locator.Argument(1);
            var arguments = attribute.ConstructorArguments;
            if (arguments.Length != 3) return null; // does not bind: the compiler reports it

            string path = arguments[0].Value as string ?? "";
            string? problem = PathProblem(path);
            if (problem is not null)
            {
                Report(report, DiagnosticDescriptors.InvalidPath, locator.Argument(0), path, problem);
                return null;
            }

            string name = arguments[1].Value as string ?? "";
            if (!IsValidIdentifier(name))
            {
                Report(report, DiagnosticDescriptors.InvalidName, nameLocation, name);
                return null;
            }

            var shape = ReadShape(arguments[2], 2, name, locator, report);

            string moduleType = KnownNames.ModuleGlobal;
            var moduleTypeArgument = attribute.NamedArguments.FirstOrDefault(a => a.Key == "ModuleType");
            if (moduleTypeArgument.Value.Value is ITypeSymbol declared)
            {
                if (known.IsModule(declared))
                {
                    moduleType = declared.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
                    if (KnownSymbols.UnhookableSignature(declared) is { } signature)
                        Report(report, DiagnosticDescriptors.NotOneTensorModule, locator.Named("ModuleType") ?? locator.Attribute,
                            $"Layer '{name}' (ModuleType {declared.ToDisplayString()})", signature);
                }
                else
                    Report(report, DiagnosticDescriptors.NotAModule, locator.Named("ModuleType") ?? locator.Attribute,
                        $"ModuleType of layer '{name}'", declared.ToDisplayString());
            }
            return new LayerSpec(name, path, moduleType, shape);
        }

        /// <summary>A valid shape (1 to 4 positive dimensions), or empty when undeclared or invalid.</summary>
        private static EquatableArray<long> ReadShape(TypedConstant constant, int parameterIndex, string layerName,
            AttributeSyntaxLocator locator, Action<Diagnostic>? report)
        {
            if (constant.Kind != TypedConstantKind.Array || constant.IsNull) return new EquatableArray<long>();
            var dims = new List<long>();
            bool valid = true;
            for (int i = 0; i < constant.Values.Length; i++)
            {
                long dim = constant.Values[i].Value is long l ? l : Convert.ToInt64(constant.Values[i].Value ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
                if (dim <= 0)
                {
                    Report(report, DiagnosticDescriptors.NonPositiveDimension, locator.ParamsElement(parameterIndex, i), i, layerName, dim);
                    valid = false;
                }
                dims.Add(dim);
            }
            if (dims.Count > MaxRank)
            {
                Report(report, DiagnosticDescriptors.RankTooHigh, locator.Attribute, layerName, dims.Count);
                valid = false;
            }
            return valid ? new EquatableArray<long>(dims) : new EquatableArray<long>();
        }

        private static bool Claim(string name, Location location, INamedTypeSymbol type, bool isWrapper,
            Dictionary<string, string> taken, Action<Diagnostic>? report)
        {
            if (taken.TryGetValue(name, out var owner))
            {
                Report(report, DiagnosticDescriptors.DuplicateName, location, name, owner);
                return false;
            }
            if (isWrapper && type.GetMembers(name).Any(m => !m.IsImplicitlyDeclared && !IsGenerated(m)))
            {
                Report(report, DiagnosticDescriptors.DuplicateName, location, name, $"the existing member '{type.Name}.{name}'");
                return false;
            }
            taken[name] = "another layer accessor";
            return true;
        }

        private static bool IsGenerated(ISymbol symbol) =>
            symbol.DeclaringSyntaxReferences.Length > 0 &&
            symbol.DeclaringSyntaxReferences.All(r => r.SyntaxTree.FilePath.EndsWith(HintSuffix, StringComparison.Ordinal));

        private static bool CheckPartial(INamedTypeSymbol type, Action<Diagnostic>? report, CancellationToken cancellationToken)
        {
            bool ok = true;
            for (var t = type; t is not null; t = t.ContainingType)
            {
                foreach (var reference in t.DeclaringSyntaxReferences)
                {
                    if (reference.GetSyntax(cancellationToken) is not TypeDeclarationSyntax declaration) continue;
                    if (declaration.Modifiers.Any(SyntaxKind.PartialKeyword)) continue;
                    ok = false;
                    Report(report, DiagnosticDescriptors.TypeNotPartial, declaration.Identifier.GetLocation(), t.Name);
                    break;
                }
            }
            return ok;
        }

        private static string? ComponentName(IFieldSymbol field, KnownSymbols known)
        {
            if (known.ComponentName is null) return null;
            var attribute = field.GetAttributes().FirstOrDefault(a => KnownSymbols.Is(a.AttributeClass, known.ComponentName));
            return attribute is null ? null : NamedString(attribute, "Name");
        }

        private static string? NamedString(AttributeData attribute, string name)
        {
            foreach (var argument in attribute.NamedArguments)
                if (argument.Key == name) return argument.Value.Value as string;
            return null;
        }

        /// <summary>Why <paramref name="path"/> is not a module path, or null when it is one.</summary>
        public static string? PathProblem(string path)
        {
            if (path.Length == 0) return "it is empty";
            if (path.Any(char.IsWhiteSpace)) return "it contains whitespace";
            if (path.Split('.').Any(s => s.Length == 0)) return "it has an empty segment";
            return null;
        }

        /// <summary>A C# identifier that is not a keyword.</summary>
        public static bool IsValidIdentifier(string name) =>
            SyntaxFacts.IsValidIdentifier(name) && SyntaxFacts.GetKeywordKind(name) == SyntaxKind.None;

        /// <summary><c>conv2</c> → <c>Conv2</c>, <c>fc_out</c> → <c>FcOut</c>, <c>_head</c> → <c>Head</c>.</summary>
        public static string ToPascalCase(string name)
        {
            var builder = new StringBuilder(name.Length);
            foreach (var part in name.Split('_'))
            {
                if (part.Length == 0) continue;
                builder.Append(char.ToUpperInvariant(part[0])).Append(part, 1, part.Length - 1);
            }
            return builder.Length > 0 ? builder.ToString() : name;
        }

        private static IEnumerable<TypeDeclarationSpec> ContainingTypes(INamedTypeSymbol type)
        {
            var chain = new List<TypeDeclarationSpec>();
            for (var t = type.ContainingType; t is not null; t = t.ContainingType)
                chain.Add(new TypeDeclarationSpec(Keyword(t), NameWithTypeParameters(t)));
            chain.Reverse();
            return chain;
        }

        private static string Keyword(INamedTypeSymbol type) => type.TypeKind switch
        {
            TypeKind.Struct => type.IsRecord ? "record struct" : "struct",
            TypeKind.Interface => "interface",
            _ => type.IsRecord ? "record" : "class",
        };

        private static string NameWithTypeParameters(INamedTypeSymbol type) =>
            type.TypeParameters.Length == 0 ? type.Name : type.Name + "<" + string.Join(", ", type.TypeParameters.Select(p => p.Name)) + ">";

        private static string HintName(INamedTypeSymbol type)
        {
            var parts = new List<string>();
            for (var t = type; t is not null; t = t.ContainingType)
                parts.Add(t.TypeParameters.Length == 0 ? t.Name : t.Name + "_" + t.TypeParameters.Length);
            if (type.ContainingNamespace is { IsGlobalNamespace: false } ns)
                parts.Add(ns.ToDisplayString());
            parts.Reverse();
            return string.Join(".", parts) + HintSuffix;
        }

        private static void Report(Action<Diagnostic>? report, DiagnosticDescriptor descriptor, Location location, params object[] arguments) =>
            report?.Invoke(Diagnostic.Create(descriptor, location, arguments));
    }
}
