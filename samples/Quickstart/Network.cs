using FluentAttrib.Architectures;
using FluentAttrib.Pretrained;
using TorchSharp;
using static TorchSharp.torch;

namespace Quickstart;

/// <summary>
/// The network the sample explains: ML.NET's ImageNet-pretrained ResNet18 backbone (imported from its ONNX file,
/// stages [2,2,2,3]) with the sample's fitted head as its <c>fc</c> layer, as an <see cref="ExplainableResNet"/>
/// (TorchVision's architecture and state-dict names, every ReLU and residual addition a module, so the rule-based
/// methods work on it too), plus the preprocessing that turns RGB 0–255 into its input.
/// </summary>
internal sealed class Network : IClassifier
{
    private Network(ExplainableResNet model, ResNetPreprocess preprocess, Head head)
    {
        Model = model;
        Preprocess = preprocess;
        Head = head;
    }

    /// <summary>The ResNet: preprocessed image in, one logit per head class out.</summary>
    public ExplainableResNet Model { get; }

    nn.Module<Tensor, Tensor> IClassifier.Model => Model;

    public string Description =>
        "ImageNet-pretrained ResNet18 backbone (ML.NET's ONNX file, imported into TorchSharp) with a linear head " +
        $"fitted by this sample on {string.Join(" / ", Head.Classes)} (see `fit-head`)";

    public ResNetPreprocess Preprocess { get; }

    public Head Head { get; }

    public IReadOnlyList<string> Classes => Head.Classes;

    /// <summary>Imports the backbone and puts <paramref name="head"/> on it.</summary>
    public static Network Load(Head head)
    {
        using var imported = PretrainedResNet18.Create(head.Classes.Count);
        head.LoadInto(imported.named_children().Single(c => c.name == "fc").module);
        var model = ExplainableResNet.From(imported);
        model.eval();
        return new Network(model, PretrainedResNet18.LoadPreprocess(), head);
    }

    /// <summary>The network input for planar RGB 0–255.</summary>
    public Tensor Input(Tensor rgb) => Preprocess.call(rgb.to(Device));

    public Device Device { get; private set; } = CPU;

    public void MoveTo(Device device)
    {
        Model.to(device);
        Preprocess.to(device);
        Device = device;
    }

    /// <summary>The head's class names are the animals themselves.</summary>
    public string? AnimalOf(int k) => Classes[k] is "dog" or "cat" ? Classes[k] : null;

    /// <summary>layer4's activation and the pooled features (what <c>fc</c> reads) for planar RGB 0–255.</summary>
    public (Tensor Layer4, Tensor Pooled) Features(Tensor rgb)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var children = Model.named_children().ToDictionary(c => c.name, c => (nn.Module<Tensor, Tensor>)c.module);
        Tensor x = Input(rgb);
        foreach (var name in new[] { "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4" })
            x = children[name].call(x);
        var pooled = children["avgpool"].call(x).flatten(1);
        return (x.MoveToOuterDisposeScope(), pooled.MoveToOuterDisposeScope());
    }

    public void Dispose()
    {
        Model.Dispose();
        Preprocess.Dispose();
    }
}
