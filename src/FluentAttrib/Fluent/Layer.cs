using System.Collections.Immutable;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// A layer of a model, named by its dotted module path (<c>"layer4.1.conv2"</c>, as <c>named_modules</c> lists
/// it). Generated accessors return the typed forms <see cref="Layer{TModule}"/> and <see cref="Layer{TModule, TRank}"/>;
/// a string converts implicitly for models built at run time.
/// </summary>
public class Layer : IEquatable<Layer>
{
    /// <summary>Creates a handle.</summary>
    /// <param name="path">Dotted module path; the empty string is the model itself.</param>
    /// <param name="name">Friendly name for messages; defaults to the path.</param>
    /// <param name="shape">Declared output shape without the batch dimension, if known.</param>
    /// <exception cref="ArgumentException">A path segment is empty, or a shape dimension is not positive.</exception>
    public Layer(string path, string? name = null, IEnumerable<long>? shape = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length > 0 && path.Split('.').Any(s => s.Length == 0))
            throw new ArgumentException($"Layer path '{path}' has an empty segment.", nameof(path));
        Path = path;
        Name = string.IsNullOrEmpty(name) ? path : name;
        if (shape is not null)
        {
            var s = shape.ToImmutableArray();
            if (s.Any(d => d <= 0)) throw new ArgumentException($"Layer '{Name}' declares shape ({string.Join(", ", s)}) with a non-positive dimension.", nameof(shape));
            Shape = s;
        }
    }

    /// <summary>Dotted module path.</summary>
    public string Path { get; }

    /// <summary>Friendly name.</summary>
    public string Name { get; }

    /// <summary>Declared output shape without the batch dimension, or null when undeclared.</summary>
    public ImmutableArray<long>? Shape { get; }

    /// <summary>
    /// How class activation maps rearrange the layer's output into (B, C, *spatial), or null when it already has that
    /// layout. Set with <see cref="Reshaped"/>.
    /// </summary>
    public LayerReshape? Reshape { get; private set; }

    /// <summary>
    /// This layer with its output rearranged by <paramref name="reshape"/> for class activation maps (pytorch-grad-cam's
    /// <c>reshape_transform</c>): <c>blocks.Reshaped(LayerReshape.Tokens(14, 14))</c> for a vision transformer's
    /// (B, 1 + 14·14, C) tokens, <c>LayerReshape.ChannelsLast</c> for a Swin stage's (B, H, W, C). The handle keeps its
    /// type, path and name.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="reshape"/> is null.</exception>
    public Layer Reshaped(LayerReshape reshape)
    {
        ArgumentNullException.ThrowIfNull(reshape);
        var copy = (Layer)MemberwiseClone();
        copy.Reshape = reshape;
        return copy;
    }

    /// <summary>Converts a dotted path.</summary>
    public static implicit operator Layer(string path) => new(path);

    /// <inheritdoc />
    public bool Equals(Layer? other) => other is not null && other.Path == Path;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Layer);

    /// <inheritdoc />
    public override int GetHashCode() => Path.GetHashCode(StringComparison.Ordinal);

    /// <inheritdoc />
    public override string ToString() => Name == Path ? Path : $"{Name} ({Path})";
}

/// <summary>A layer whose module type is known.</summary>
/// <typeparam name="TModule">The module type at the path.</typeparam>
public class Layer<TModule> : Layer where TModule : nn.Module
{
    /// <inheritdoc cref="Layer(string, string?, IEnumerable{long}?)" />
    public Layer(string path, string? name = null, IEnumerable<long>? shape = null) : base(path, name, shape) { }
}

/// <summary>
/// A layer whose module type and output rank (without batch) are known, so neuron indices have the right arity at
/// compile time: <c>Explain(model).At(Net.Layers.Conv2).Neuron(3, 1, 1)</c>.
/// </summary>
/// <typeparam name="TModule">The module type at the path.</typeparam>
/// <typeparam name="TRank">One of <see cref="Rank1"/> … <see cref="Rank4"/>.</typeparam>
public sealed class Layer<TModule, TRank> : Layer<TModule> where TModule : nn.Module where TRank : NeuronRank
{
    /// <summary>Creates a handle with a declared shape whose length must match <typeparamref name="TRank"/>.</summary>
    /// <exception cref="ArgumentException">The shape's length differs from the rank.</exception>
    public Layer(string path, string? name, IEnumerable<long> shape) : base(path, name, shape)
    {
        int rank = NeuronRank.Of<TRank>();
        if (Shape!.Value.Length != rank)
            throw new ArgumentException($"Layer '{Name}' declares {Shape.Value.Length} dimensions but its rank type is {typeof(TRank).Name}.", nameof(shape));
    }
}

/// <summary>Marker types for the rank of a layer's output without the batch dimension.</summary>
public abstract class NeuronRank
{
    private protected NeuronRank() { }

    internal static int Of<TRank>() where TRank : NeuronRank =>
        typeof(TRank) == typeof(Rank1) ? 1 : typeof(TRank) == typeof(Rank2) ? 2 : typeof(TRank) == typeof(Rank3) ? 3 : 4;
}

/// <summary>Rank 1: (features), e.g. a Linear layer.</summary>
public sealed class Rank1 : NeuronRank { private Rank1() { } }

/// <summary>Rank 2: e.g. (tokens, embedding) or (channels, length).</summary>
public sealed class Rank2 : NeuronRank { private Rank2() { } }

/// <summary>Rank 3: (channels, height, width), e.g. a Conv2d layer.</summary>
public sealed class Rank3 : NeuronRank { private Rank3() { } }

/// <summary>Rank 4: e.g. (channels, depth, height, width).</summary>
public sealed class Rank4 : NeuronRank { private Rank4() { } }
