using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Core.Layers;

/// <summary>A layer handle resolved against a model: the module to hook.</summary>
internal sealed class ResolvedLayer
{
    public ResolvedLayer(Layer handle, nn.Module<Tensor, Tensor> module)
    {
        Handle = handle;
        Module = module;
    }

    public Layer Handle { get; }
    public nn.Module<Tensor, Tensor> Module { get; }

    /// <summary>The layer for messages: its friendly name and path.</summary>
    public override string ToString() => Handle.Path.Length == 0 ? "the model itself" : $"'{Handle}'";
}

/// <summary>
/// Resolves dotted module paths by walking <c>named_children</c> (TorchSharp has no <c>get_submodule</c>). A path is
/// resolved and validated once, when the layer step is built (<c>Explain(model).At(layer)</c>), never per forward pass;
/// the resolved module is kept by that step. It is not cached per model: a walk costs one lookup per path segment,
/// and a cache would go stale when a child is replaced (<c>register_module(name, null)</c>, then a new module), hooking
/// a module that no longer runs.
/// </summary>
internal static class LayerResolver
{
    public static ResolvedLayer Resolve(nn.Module model, Layer layer)
    {
        var module = Walk(model, layer);
        if (module is not nn.Module<Tensor, Tensor> typed)
            throw new NotSupportedException(
                $"Layer '{layer}' is a {module.GetType().Name}; layer attribution hooks need a module that maps one tensor to one tensor (nn.Module<Tensor, Tensor>).");
        var expected = ExpectedModuleType(layer);
        if (expected is not null && !expected.IsInstanceOfType(module))
            throw new ArgumentException(
                $"Layer '{layer}' is a {module.GetType().Name} in this model, but its handle expects a {expected.Name}.", nameof(layer));
        return new ResolvedLayer(layer, typed);
    }

    private static Type? ExpectedModuleType(Layer layer)
    {
        for (var t = layer.GetType(); t is not null && t != typeof(Layer); t = t.BaseType)
            if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Layer<>))
                return t.GetGenericArguments()[0];
        return null;
    }

    private static nn.Module Walk(nn.Module model, Layer layer)
    {
        if (layer.Path.Length == 0) return model;
        var current = model;
        foreach (var segment in layer.Path.Split('.'))
        {
            nn.Module? next = null;
            foreach (var (name, child) in current.named_children())
                if (name == segment) { next = child; break; }
            current = next ?? throw NotFound(model, layer);
        }
        return current;
    }

    private static ArgumentException NotFound(nn.Module model, Layer layer)
    {
        var all = AllPaths(model).Distinct(StringComparer.Ordinal).ToList();
        var nearest = all
            .Select(p => (Path: p, Distance: EditDistance(p, layer.Path)))
            .OrderBy(p => p.Distance).ThenBy(p => p.Path, StringComparer.Ordinal)
            .Take(5)
            .Select(p => "'" + p.Path + "'");
        string list = all.Count == 0 ? "the model has no submodules" : "nearest existing paths: " + string.Join(", ", nearest);
        return new ArgumentException($"The model has no layer at path '{layer.Path}'; {list}.", nameof(layer));
    }

    /// <summary>Every dotted path below <paramref name="model"/>, parents before children.</summary>
    public static IEnumerable<string> AllPaths(nn.Module model, string prefix = "")
    {
        foreach (var (name, child) in model.named_children())
        {
            string path = prefix.Length == 0 ? name : prefix + "." + name;
            yield return path;
            foreach (var p in AllPaths(child, path)) yield return p;
        }
    }

    /// <summary>Levenshtein distance.</summary>
    public static int EditDistance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
