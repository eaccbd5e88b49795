using FluentAttrib.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Quickstart;

/// <summary>
/// The network the sample explains: ML.NET's ImageNet-pretrained ResNet18 backbone (imported from its ONNX file
/// into TorchVision's ResNet, stages [2,2,2,3]) with the sample's fitted head as its <c>fc</c> layer, plus the
/// preprocessing that turns RGB 0–255 into its input.
/// </summary>
internal sealed class Network : IDisposable
{
    private Network(TorchSharp.Modules.ResNet model, ResNetPreprocess preprocess, Head head)
    {
        Model = model;
        Preprocess = preprocess;
        Head = head;
    }

    /// <summary>TorchVision's ResNet: preprocessed image in, one logit per head class out.</summary>
    public TorchSharp.Modules.ResNet Model { get; }

    public ResNetPreprocess Preprocess { get; }

    public Head Head { get; }

    public IReadOnlyList<string> Classes => Head.Classes;

    /// <summary>Imports the backbone and puts <paramref name="head"/> on it.</summary>
    public static Network Load(Head head)
    {
        var model = PretrainedResNet18.Create(head.Classes.Count);
        var preprocess = PretrainedResNet18.LoadPreprocess();
        head.LoadInto(model.named_children().Single(c => c.name == "fc").module);
        model.eval();
        return new Network(model, preprocess, head);
    }

    /// <summary>The network input for planar RGB 0–255.</summary>
    public Tensor Input(Tensor rgb) => Preprocess.call(rgb);

    /// <summary>Class probabilities for planar RGB 0–255, one row per image.</summary>
    public Tensor Probabilities(Tensor rgb)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        return Model.call(Input(rgb)).softmax(1).MoveToOuterDisposeScope();
    }

    /// <summary>layer4's activation and the pooled features for planar RGB 0–255.</summary>
    public (Tensor Layer4, Tensor Pooled) Features(Tensor rgb)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var (layer4, pooled) = ResNets.Features(Model, Input(rgb));
        return (layer4.MoveToOuterDisposeScope(), pooled.MoveToOuterDisposeScope());
    }

    public void Dispose()
    {
        Model.Dispose();
        Preprocess.Dispose();
    }
}
