namespace FluentAttrib;

/// <summary>
/// Marks a model class for the FluentAttrib source generator, which emits typed layer accessors.
/// <list type="bullet">
/// <item>On a user's own <c>partial</c> module class: its members marked <see cref="AttributionLayerAttribute"/>
/// become accessors in a nested static class <c>Layers</c>.</item>
/// <item>On a <c>static partial</c> wrapper class with <see cref="ModelType"/> set (a model the user did not write):
/// its <see cref="LayerAttribute"/>s become static accessors of the wrapper.</item>
/// </list>
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ExplainableAttribute : Attribute
{
    /// <summary>Marks a user's own module class.</summary>
    public ExplainableAttribute() { }

    /// <summary>Marks a wrapper for a model of type <paramref name="modelType"/>.</summary>
    public ExplainableAttribute(Type modelType) => ModelType = modelType;

    /// <summary>The wrapped model's type, for wrappers; null on a user's own module class.</summary>
    public Type? ModelType { get; }
}

/// <summary>
/// Marks a child module field of an <see cref="ExplainableAttribute"/> class as an attribution point. Its path is the
/// field name (or its <c>[ComponentName]</c>), as TorchSharp's <c>RegisterComponents</c> registers fields; properties
/// are not registered under their own names, so only fields can be marked.
/// Optionally declares the layer's output shape without the batch dimension, so neuron indices are checked.
/// </summary>
[AttributeUsage(AttributeTargets.Field, Inherited = false)]
public sealed class AttributionLayerAttribute : Attribute
{
    /// <summary>Marks the member; <paramref name="shape"/> is its output shape without batch (may be empty).</summary>
    public AttributionLayerAttribute(params long[] shape) => Shape = shape;

    /// <summary>The declared output shape without batch (empty when undeclared).</summary>
    public long[] Shape { get; }

    /// <summary>Accessor name; defaults to the member name in PascalCase.</summary>
    public string? Name { get; set; }
}

/// <summary>Names a layer of a wrapped model by dotted path, on an <see cref="ExplainableAttribute"/> wrapper class.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LayerAttribute : Attribute
{
    /// <summary>A layer at <paramref name="path"/> exposed as accessor <paramref name="name"/>.</summary>
    /// <param name="path">Dotted module path, e.g. <c>"layer4.1.conv2"</c>.</param>
    /// <param name="name">Accessor name, a C# identifier.</param>
    /// <param name="shape">Output shape without batch (optional).</param>
    public LayerAttribute(string path, string name, params long[] shape)
    {
        Path = path;
        Name = name;
        Shape = shape;
    }

    /// <summary>Dotted module path.</summary>
    public string Path { get; }

    /// <summary>Accessor name.</summary>
    public string Name { get; }

    /// <summary>Declared output shape without batch (empty when undeclared).</summary>
    public long[] Shape { get; }

    /// <summary>The module type at the path (for a typed accessor); null means <c>nn.Module</c>.</summary>
    public Type? ModuleType { get; set; }
}
