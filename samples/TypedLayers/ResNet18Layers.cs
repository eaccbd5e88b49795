using FluentAttrib;
using TorchSharp.Modules;

namespace TypedLayers;

/// <summary>
/// Layers of TorchVision's resnet18, a model the user did not write, named by dotted path (as <c>named_modules</c>
/// lists them). Shapes are for a 3×224×224 input. A path that does not exist on <see cref="ResNet"/> is reported at
/// compile time (FA1004), as far as it can be followed through the model's fields.
/// </summary>
[Explainable(typeof(ResNet))]
[Layer("conv1", "Stem", 64, 112, 112, ModuleType = typeof(Conv2d))]
[Layer("layer1", "Layer1", 64, 56, 56, ModuleType = typeof(Sequential))]
[Layer("layer3", "Layer3", 256, 14, 14, ModuleType = typeof(Sequential))]
[Layer("layer4", "Layer4", 512, 7, 7, ModuleType = typeof(Sequential))]
[Layer("layer4.1.conv2", "Layer4Conv2", 512, 7, 7, ModuleType = typeof(Conv2d))]
[Layer("avgpool", "AvgPool", 512, 1, 1)]
[Layer("fc", "Fc", 1000, ModuleType = typeof(Linear))]
public static partial class ResNet18Layers
{
}
