namespace FluentAttrib.Generators.Model
{
    /// <summary>What the generator emits for one <c>[Explainable]</c> type. Strings, numbers and arrays only.</summary>
    /// <param name="HintName">Name of the generated file, <c>{Type}.Layers.g.cs</c>.</param>
    /// <param name="Namespace">The type's namespace, or null for the global namespace.</param>
    /// <param name="ContainingTypes">Enclosing types, outermost first.</param>
    /// <param name="TypeName">The annotated type's name with its type parameters, e.g. <c>Net&lt;T&gt;</c>.</param>
    /// <param name="IsWrapper">True for <c>[Explainable(typeof(Model))]</c>: accessors go on the type itself;
    /// false for a user's own module: accessors go in a nested <c>Layers</c> class.</param>
    /// <param name="ModelDisplayName">The model type for documentation comments.</param>
    /// <param name="Layers">The accessors, in declaration order.</param>
    internal sealed record ExplainableSpec(
        string HintName,
        string? Namespace,
        EquatableArray<TypeDeclarationSpec> ContainingTypes,
        string TypeName,
        bool IsWrapper,
        string ModelDisplayName,
        EquatableArray<LayerSpec> Layers);

    /// <summary>A partial type declaration to re-open: its keyword (<c>class</c>, <c>record struct</c>, …) and name.</summary>
    internal sealed record TypeDeclarationSpec(string Keyword, string Name);

    /// <summary>One generated layer handle.</summary>
    /// <param name="Name">Accessor name (a C# identifier).</param>
    /// <param name="Path">Dotted module path.</param>
    /// <param name="ModuleType">Fully qualified (<c>global::</c>) module type.</param>
    /// <param name="Shape">Declared output shape without batch, 1 to 4 positive dimensions; empty when undeclared.</param>
    internal sealed record LayerSpec(string Name, string Path, string ModuleType, EquatableArray<long> Shape);
}
