using Microsoft.CodeAnalysis;

namespace FluentAttrib.Generators
{
    /// <summary>Metadata names the generator and analyzer look for.</summary>
    internal static class KnownNames
    {
        public const string ExplainableAttribute = "FluentAttrib.ExplainableAttribute";
        public const string AttributionLayerAttribute = "FluentAttrib.AttributionLayerAttribute";
        public const string LayerAttribute = "FluentAttrib.LayerAttribute";
        public const string Layer1 = "FluentAttrib.Layer`1";
        public const string Layer2 = "FluentAttrib.Layer`2";
        public const string NeuronAxis = "FluentAttrib.NeuronAxis";
        public const string Module = "TorchSharp.torch+nn+Module";
        public const string ComponentNameAttribute = "TorchSharp.Utils.ComponentNameAttribute";

        /// <summary>Fully qualified <c>nn.Module</c>, the module type of a <c>[Layer]</c> without <c>ModuleType</c>.</summary>
        public const string ModuleGlobal = "global::TorchSharp.torch.nn.Module";
    }

    /// <summary>The symbols of <see cref="KnownNames"/> in one compilation.</summary>
    internal sealed class KnownSymbols
    {
        private KnownSymbols(INamedTypeSymbol explainable, INamedTypeSymbol attributionLayer, INamedTypeSymbol layerAttribute,
            INamedTypeSymbol? module, INamedTypeSymbol? componentName, INamedTypeSymbol? layer1, INamedTypeSymbol? layer2,
            INamedTypeSymbol? neuronAxis)
        {
            Explainable = explainable;
            AttributionLayer = attributionLayer;
            LayerAttribute = layerAttribute;
            Module = module;
            ComponentName = componentName;
            Layer1 = layer1;
            Layer2 = layer2;
            NeuronAxis = neuronAxis;
        }

        public INamedTypeSymbol Explainable { get; }
        public INamedTypeSymbol AttributionLayer { get; }
        public INamedTypeSymbol LayerAttribute { get; }
        public INamedTypeSymbol? Module { get; }
        public INamedTypeSymbol? ComponentName { get; }
        public INamedTypeSymbol? Layer1 { get; }
        public INamedTypeSymbol? Layer2 { get; }
        public INamedTypeSymbol? NeuronAxis { get; }

        /// <summary>The symbols, or null when the compilation does not reference FluentAttrib.</summary>
        public static KnownSymbols? Create(Compilation compilation)
        {
            var explainable = compilation.GetTypeByMetadataName(KnownNames.ExplainableAttribute);
            var attributionLayer = compilation.GetTypeByMetadataName(KnownNames.AttributionLayerAttribute);
            var layerAttribute = compilation.GetTypeByMetadataName(KnownNames.LayerAttribute);
            if (explainable is null || attributionLayer is null || layerAttribute is null) return null;
            return new KnownSymbols(explainable, attributionLayer, layerAttribute,
                compilation.GetTypeByMetadataName(KnownNames.Module),
                compilation.GetTypeByMetadataName(KnownNames.ComponentNameAttribute),
                compilation.GetTypeByMetadataName(KnownNames.Layer1),
                compilation.GetTypeByMetadataName(KnownNames.Layer2),
                compilation.GetTypeByMetadataName(KnownNames.NeuronAxis));
        }

        /// <summary>True when <paramref name="type"/> is or derives from <c>nn.Module</c> (a type parameter: through
        /// its constraints). Unknown (no TorchSharp reference, error types) counts as a module, to avoid noise.</summary>
        public bool IsModule(ITypeSymbol? type)
        {
            if (type is null) return false;
            if (Module is null || type.TypeKind == TypeKind.Error) return true;
            if (type is ITypeParameterSymbol tp)
            {
                foreach (var c in tp.ConstraintTypes)
                    if (IsModule(c)) return true;
                return false;
            }
            for (var t = type; t is not null; t = t.BaseType)
                if (SymbolEqualityComparer.Default.Equals(t.OriginalDefinition, Module)) return true;
            return false;
        }

        /// <summary>
        /// The forward signature of a module type that layer methods cannot hook (they need one tensor in, one tensor
        /// out: <c>nn.Module&lt;Tensor, Tensor&gt;</c>), e.g. "Module&lt;Tensor, Tensor?, Tensor?, (Tensor, Tensor, Tensor)&gt;" for an
        /// LSTM; null when it can (or when the type does not say: plain <c>nn.Module</c>, type parameters, error types).
        /// </summary>
        public static string? UnhookableSignature(ITypeSymbol? type)
        {
            if (type is null || type.TypeKind == TypeKind.Error || type is ITypeParameterSymbol) return null;
            for (var t = type as INamedTypeSymbol; t is not null; t = t.BaseType)
            {
                var definition = t.OriginalDefinition;
                if (!t.IsGenericType || definition.Name != "Module" || definition.ContainingType?.Name != "nn"
                    || definition.ContainingNamespace?.ToDisplayString() != "TorchSharp") continue;
                bool oneTensor = t.TypeArguments.Length == 2 && IsTensor(t.TypeArguments[0]) && IsTensor(t.TypeArguments[1]);
                return oneTensor ? null : t.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
            }
            return null;
        }

        private static bool IsTensor(ITypeSymbol type) =>
            type.NullableAnnotation != NullableAnnotation.Annotated && type.Name == "Tensor" && type.ContainingType?.Name == "torch"
            && type.ContainingNamespace?.ToDisplayString() == "TorchSharp";

        public static bool Is(INamedTypeSymbol? attributeClass, INamedTypeSymbol expected) =>
            SymbolEqualityComparer.Default.Equals(attributeClass, expected);
    }
}
