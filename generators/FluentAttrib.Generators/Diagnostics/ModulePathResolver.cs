using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace FluentAttrib.Generators.Diagnostics
{
    /// <summary>
    /// Resolves a dotted module path through field names, as TorchSharp's <c>RegisterComponents</c> registers child
    /// modules: every instance field (of the type and its bases) whose value is a module, under its field name or
    /// <c>[ComponentName(Name = …)]</c>. Models from referenced assemblies keep their children in private fields, which
    /// a compilation does not import by default; a copy of the compilation that imports all members is made on demand.
    /// </summary>
    internal sealed class ModulePathResolver
    {
        private readonly Lazy<(Compilation Compilation, KnownSymbols? Known)> _allMembers;

        public ModulePathResolver(Compilation compilation)
        {
            _allMembers = new Lazy<(Compilation, KnownSymbols?)>(() =>
            {
                var all = compilation.WithOptions(compilation.Options.WithMetadataImportOptions(MetadataImportOptions.All));
                return (all, KnownSymbols.Create(all));
            });
        }

        /// <summary>A segment that does not exist: its index, the type searched, and that type's children.</summary>
        public readonly struct Failure
        {
            public Failure(int segment, string owner, IReadOnlyList<string> children)
            {
                Segment = segment;
                Owner = owner;
                Children = children;
            }

            public int Segment { get; }
            public string Owner { get; }
            public IReadOnlyList<string> Children { get; }
        }

        /// <summary>The first segment of <paramref name="path"/> that does not exist on <paramref name="root"/>, or
        /// null when all exist or the rest cannot be checked.</summary>
        public Failure? FindMissing(ITypeSymbol root, string path)
        {
            var (all, known) = _allMembers.Value;
            if (known?.Module is null || root is not INamedTypeSymbol named) return null;
            var current = Translate(all, named);
            string[] segments = path.Split('.');
            for (int i = 0; i < segments.Length; i++)
            {
                if (current is null || !IsCheckable(current, known)) return null;
                var children = Children(current, known);
                if (!children.TryGetValue(segments[i], out var child))
                    return new Failure(i, current.ToDisplayString(), children.Keys.ToList());
                current = child as INamedTypeSymbol;
            }
            return null;
        }

        /// <summary>The same type in the all-members compilation.</summary>
        private INamedTypeSymbol? Translate(Compilation all, INamedTypeSymbol type)
        {
            if (type.TypeKind == TypeKind.Error) return null;
            var definition = type.OriginalDefinition;
            string metadataName = MetadataName(definition);
            string? assembly = definition.ContainingAssembly?.Identity.Name;
            foreach (var candidate in all.GetTypesByMetadataName(metadataName))
                if (candidate.ContainingAssembly?.Identity.Name == assembly) return candidate;
            return null;
        }

        private static string MetadataName(INamedTypeSymbol type)
        {
            var parts = new List<string>();
            for (var t = type; t is not null; t = t.ContainingType) parts.Add(t.MetadataName);
            parts.Reverse();
            string nested = string.Join("+", parts);
            var ns = type.ContainingNamespace;
            return ns is null || ns.IsGlobalNamespace ? nested : ns.ToDisplayString() + "." + nested;
        }

        /// <summary>
        /// Whether a field of this type tells which children the module has: not for abstract or base module types
        /// (the value may be any module), nor for containers whose children are numbered or keyed at run time.
        /// </summary>
        private static bool IsCheckable(INamedTypeSymbol type, KnownSymbols known)
        {
            if (type.TypeKind != TypeKind.Class || type.IsAbstract || !known.IsModule(type)) return false;
            var definition = type.OriginalDefinition;
            if (SymbolEqualityComparer.Default.Equals(definition, known.Module)) return false;
            if (definition.ContainingType is { Name: "nn" } && definition.Name == "Module") return false;
            if (definition.ContainingNamespace?.ToDisplayString() == "TorchSharp.Modules" &&
                definition.Name is "Sequential" or "ModuleList" or "ModuleDict") return false;
            return true;
        }

        /// <summary>Child module names (in declaration order, most derived type first) and their field types.</summary>
        private static Dictionary<string, ITypeSymbol> Children(INamedTypeSymbol type, KnownSymbols known)
        {
            var children = new Dictionary<string, ITypeSymbol>(StringComparer.Ordinal);
            for (var t = type; t is not null && !SymbolEqualityComparer.Default.Equals(t.OriginalDefinition, known.Module); t = t.BaseType)
            {
                foreach (var member in t.GetMembers())
                {
                    if (member is not IFieldSymbol { IsStatic: false } field || !IsModuleField(field.Type, known)) continue;
                    string name = ComponentName(field, known) ?? field.Name;
                    if (!children.ContainsKey(name)) children.Add(name, field.Type);
                }
            }
            return children;
        }

        private static bool IsModuleField(ITypeSymbol type, KnownSymbols known) =>
            type.TypeKind != TypeKind.Error && known.IsModule(type);

        private static string? ComponentName(IFieldSymbol field, KnownSymbols known)
        {
            if (known.ComponentName is null) return null;
            foreach (var attribute in field.GetAttributes())
            {
                if (!KnownSymbols.Is(attribute.AttributeClass, known.ComponentName)) continue;
                foreach (var argument in attribute.NamedArguments)
                    if (argument.Key == "Name" && argument.Value.Value is string name) return name;
            }
            return null;
        }
    }
}
