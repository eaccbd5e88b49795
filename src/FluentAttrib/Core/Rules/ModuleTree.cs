using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Core.Rules;

/// <summary>
/// The modules of a model with their dotted paths (as <c>named_modules</c> spells them; the root is ""), each
/// module once (the first path under which it is registered).
/// </summary>
internal sealed class ModuleTree
{
    private readonly Dictionary<nn.Module, string> _paths = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, nn.Module> _byPath = new(StringComparer.Ordinal);

    private ModuleTree(nn.Module root)
    {
        Root = root;
        _paths[root] = "";
        _byPath[""] = root;
        Modules.Add((root, ""));
        foreach (var (path, module) in root.named_modules())
        {
            _byPath.TryAdd(path, module);
            if (_paths.TryAdd(module, path)) Modules.Add((module, path));
        }
    }

    /// <summary>The model.</summary>
    public nn.Module Root { get; }

    /// <summary>Every module once, the root first.</summary>
    public List<(nn.Module Module, string Path)> Modules { get; } = [];

    /// <summary>Modules without children (Captum's LRP "layers"); the root only when it has no children either.</summary>
    public IEnumerable<(nn.Module Module, string Path)> Leaves() =>
        Modules.Where(m => !m.Module.named_children().Any() && (m.Path.Length > 0 || Modules.Count == 1));

    public static ModuleTree Of(nn.Module root) => new(root);

    /// <summary>The module's path, "" for the root.</summary>
    public string PathOf(nn.Module module) => _paths.TryGetValue(module, out var p) ? p : "?";

    /// <summary>How messages name a module: its path and type, e.g. <c>'layer1.0.relu1' (ReLU)</c>.</summary>
    public string Describe(nn.Module module) => Describe(PathOf(module), module);

    public static string Describe(string path, nn.Module module) =>
        path.Length == 0 ? $"the model itself ({module.GetType().Name})" : $"'{path}' ({module.GetType().Name})";

    /// <summary>The module at <paramref name="path"/>, or null.</summary>
    public nn.Module? Find(string path) => _byPath.TryGetValue(path, out var m) ? m : null;

    /// <summary>The module at the layer's path; throws an <see cref="ArgumentException"/> naming it when there is none.</summary>
    public nn.Module Resolve(Layer layer, string paramName)
    {
        if (Find(layer.Path) is { } m) return m;
        var near = _byPath.Keys.Where(k => k.Length > 0).OrderBy(k => Distance(k, layer.Path)).Take(3).ToArray();
        throw new ArgumentException(
            $"The model has no layer '{layer.Path}'." + (near.Length > 0 ? $" Closest paths: {string.Join(", ", near.Select(n => "'" + n + "'"))}." : ""),
            paramName);
    }

    /// <summary>
    /// Throws when the model is one whose activations (or residual additions) are applied functionally, so no
    /// module rule can reach them: TorchVision's ResNet family. Names the explainable equivalent.
    /// </summary>
    public void RejectFunctionalActivations(string method)
    {
        foreach (var (module, path) in Modules)
        {
            var type = module.GetType();
            if (type.Assembly.GetName().Name != "TorchVision") continue;
            if (type.Name is "BasicBlock" or "Bottleneck")
                throw new ArgumentException(
                    $"{method} cannot see every activation of this model: TorchVision's {type.Name} at {Describe(path, module)} applies its last ReLU " +
                    "and the residual addition functionally (x.add_(identity).relu_()), so no module rule reaches them and the result would silently " +
                    "differ from the method's definition. Explain the equivalent model with every activation a module instead: " +
                    "FluentAttrib.Architectures.ExplainableResNet.From(model) (same state dict).",
                    "model");
        }
    }

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }
}
