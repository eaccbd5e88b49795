// Typed layer and neuron attribution with the generated accessors: Net.Layers.* for a model written here,
// ResNet18Layers.* for TorchVision's resnet18 (random weights). Prints shapes and a sanity number for each method.
// Usage: dotnet run --project samples/TypedLayers [-- --device cpu|cuda]
using FluentAttrib;
using FluentAttrib.Samples;
using TorchSharp;
using TorchSharp.Modules;
using TypedLayers;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

string? deviceName = null;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--device" && i + 1 < args.Length && DeviceOption.IsValid(args[i + 1])) deviceName = args[++i];
    else
    {
        bool help = args[i] is "--help" or "-h";
        Console.Error.WriteLine(help ? $"Usage: dotnet run --project samples/TypedLayers [-- --device cpu|cuda]\n  {DeviceOption.Help}" : $"error: unknown option or value '{args[i]}'.");
        return help ? 0 : 2;
    }
}
Device device;
try
{
    TorchRuntime.EnsureLoaded();
    device = DeviceOption.Resolve(deviceName);
}
catch (Exception e) when (e is TorchSharpLoadException or ArgumentException)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}

// Typed handles: the module type and the rank of the output are part of the type.
Layer<Conv2d, Rank3> conv2 = Net.Layers.Conv2;
Layer<Linear, Rank1> logits = Net.Layers.Logits;
Layer<Sequential, Rank3> layer4 = ResNet18Layers.Layer4;
Console.WriteLine($"Typed handles: {conv2}, {logits}, {layer4}");
Console.WriteLine();

manual_seed(0);
bool ok = true;
using var net = new Net();
net.to(device);
net.eval();
using var resnet = torchvision.models.resnet18();
resnet.to(device);
net.eval();
using var digits = rand(2, 1, 28, 28, device: device);
using var image = randn(1, 3, 224, 224, device: device);

ok &= CheckShapes("Net (user-written)", net, Net.Layers.All, digits);
ok &= CheckShapes("TorchVision resnet18", resnet, ResNet18Layers.All, image);

// Grad-CAM at resnet18's layer4 for its top class, upsampled to the image with LayerAttribution.Interpolate.
long top;
using (no_grad()) top = resnet.call(image).argmax(1).item<long>();
using (var cam = Explain(resnet).For(top).At(ResNet18Layers.Layer4).With(LayerGradCam.Default.Relu()).Attribute(image))
using (var heat = LayerAttribution.Interpolate(cam.Value, [224, 224], InterpolationMode.Bilinear))
{
    Console.WriteLine($"LayerGradCam at {ResNet18Layers.Layer4} for class {top}: {Shape(cam.Value)} → interpolated {Shape(heat)}");
    Console.WriteLine($"  Grad-CAM sum {cam.Value.sum().item<float>():F6}, upsampled mean {heat.mean().item<float>():F6}, min {heat.min().item<float>():F6} (ReLU: ≥ 0)");
    ok &= heat.min().item<float>() >= 0;
}

// Integrated gradients of one neuron of conv2: Neuron(channel, row, column), three indices since conv2 has rank 3.
// Neuron(12, 1, 1) would be compile-time error FA1005 (conv2 has 12 channels); Neuron(3, 1) does not compile.
using (var nig = Explain(net).At(Net.Layers.Conv2).Neuron(3, 1, 1).With(NeuronIntegratedGradients.Steps(50)).Attribute(digits))
using (var acts = Explain(net).At(Net.Layers.Conv2).With(LayerActivation.Default).Attribute(digits))
using (var zero = zeros_like(digits))
using (var atZero = Explain(net).At(Net.Layers.Conv2).With(LayerActivation.Default).Attribute(zero))
{
    // Completeness: the attributions of each example sum to neuron(x) − neuron(baseline 0), up to the quadrature error.
    var sums = nig.Value.sum([1, 2, 3]);
    var change = acts.Value[.., 3, 1, 1] - atZero.Value[.., 3, 1, 1];
    Console.WriteLine($"NeuronIntegratedGradients of neuron (3, 1, 1) of {Net.Layers.Conv2}: {Shape(nig.Value)}");
    for (int b = 0; b < sums.shape[0]; b++)
        Console.WriteLine($"  example {b}: sum of attributions {sums[b].item<float>():F6}, neuron(x) − neuron(0) {change[b].item<float>():F6}");
}

// A slice: channels 0..4 of conv2 at (5, 5), summed (Captum's slice selectors).
using (var sliced = Explain(net).At(Net.Layers.Conv2).Neuron(0..4, 5, 5).With(NeuronGradient.Default).Attribute(digits))
{
    Console.WriteLine($"NeuronGradient of neurons (0..4, 5, 5) of {Net.Layers.Conv2}, summed: {Shape(sliced.Value)}, " +
        $"{sliced.Value.count_nonzero().item<long>()} non-zero input gradients (the receptive field), sum {sliced.Value.sum().item<float>():F6}");
}

// Activations of every annotated layer at once.
using (var all = Explain(net).At([.. Net.Layers.All]).With(LayerActivation.Default).Attribute(digits))
{
    Console.WriteLine($"LayerActivation of Net.Layers.All ({all.Values.Count} layers):");
    for (int i = 0; i < all.Values.Count; i++)
        Console.WriteLine($"  {Net.Layers.All[i].Name,-8} {Shape(all.Values[i])}");
}

return ok ? 0 : 1;

static string Shape(Tensor t) => "(" + string.Join(", ", t.shape) + ")";

// Checks each annotated layer against a real model: its path resolves (Explain(...).At(handle) throws at once, listing
// the nearest paths, if it does not), and its declared output shape matches one forward pass (LayerActivation).
static bool CheckShapes(string title, nn.Module<Tensor, Tensor> model, IReadOnlyList<Layer> layers, Tensor input)
{
    Console.WriteLine($"{title}: {layers.Count} annotated layers");
    var modules = model.named_modules().ToDictionary(m => m.name, m => m.module);
    bool ok = true;
    using var activations = Explain(model).At([.. layers]).With(LayerActivation.Default).Attribute(input);
    for (int i = 0; i < layers.Count; i++)
    {
        var layer = layers[i];
        var dims = activations.Values[i].shape[1..];
        string type = modules[layer.Path].GetType().Name;
        string declared = layer.Shape is { } shape ? $"({string.Join(", ", shape)})" : "(undeclared)";
        string actual = $"({string.Join(", ", dims)})";
        string check = layer.Shape is { } s ? (s.SequenceEqual(dims) ? "ok" : "MISMATCH") : "";
        Console.WriteLine($"  {layer.Name,-12} {layer.Path,-15} {type,-18} declared {declared,-15} actual {actual,-15} {check}");
        ok &= check != "MISMATCH";
    }
    Console.WriteLine();
    return ok;
}
