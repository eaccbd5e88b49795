using FluentAttrib;
using TorchSharp;
using TorchSharp.Modules;
using TypedLayers;
using static TorchSharp.torch;

// Typed handles: the module type and the rank of the output are part of the type.
Layer<Conv2d, Rank3> conv2 = Net.Layers.Conv2;
Layer<Linear, Rank1> logits = Net.Layers.Logits;
Layer<Sequential, Rank3> layer4 = ResNet18Layers.Layer4;
Console.WriteLine($"Typed handles: {conv2}, {logits}, {layer4}");
Console.WriteLine();

using (var net = new Net())
    Show("Net (user-written)", net, Net.Layers.All, zeros(1, 1, 28, 28));

using (var resnet = torchvision.models.resnet18())
    Show("TorchVision resnet18", resnet, ResNet18Layers.All, zeros(1, 3, 224, 224));

// Resolves every layer's path on a real model instance (walking named_modules), runs one forward pass with a hook on
// each, and checks the declared output shapes against the real ones.
static void Show(string title, nn.Module<Tensor, Tensor> model, IReadOnlyList<Layer> layers, Tensor input)
{
    Console.WriteLine($"{title}: {layers.Count} annotated layers");
    var modules = model.named_modules().ToDictionary(m => m.name, m => m.module);
    var observed = new Dictionary<string, long[]>();
    var removers = new List<Action>();
    try
    {
        foreach (var layer in layers)
        {
            if (!modules.TryGetValue(layer.Path, out var module))
                throw new InvalidOperationException($"Layer {layer} does not exist on {title}; paths: {string.Join(", ", modules.Keys.Take(20))}");
            if (module is nn.Module<Tensor, Tensor> typed)
            {
                var hook = typed.register_forward_hook((_, _, output) => { observed[layer.Path] = output.shape[1..]; return null!; });
                removers.Add(hook.remove);
            }
        }
        using (no_grad())
        using (var scope = NewDisposeScope())
            model.call(input);
    }
    finally
    {
        foreach (var remove in removers) remove();
    }

    foreach (var layer in layers)
    {
        string type = modules[layer.Path].GetType().Name;
        string declared = layer.Shape is { } shape ? $"({string.Join(", ", shape)})" : "(undeclared)";
        string actual = observed.TryGetValue(layer.Path, out var dims) ? $"({string.Join(", ", dims)})" : "(not run)";
        string check = layer.Shape is { } s && dims is not null ? (s.SequenceEqual(dims) ? "ok" : "MISMATCH") : "";
        Console.WriteLine($"  {layer.Name,-12} {layer.Path,-15} {type,-18} declared {declared,-15} actual {actual,-15} {check}");
        if (check == "MISMATCH") Environment.ExitCode = 1;
    }
    Console.WriteLine();
}
