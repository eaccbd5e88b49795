using FluentAttrib.Pretrained.Onnx;
using Xunit;
using static TorchSharp.torch;

namespace FluentAttrib.Pretrained.Tests;

/// <summary>
/// Files that are not the expected network are refused with an <see cref="OnnxImportException"/> that names the file
/// and says what is wrong: not ONNX at all, a truncated copy, missing or misshaped weights, the wrong graph.
/// </summary>
public sealed class ImporterErrorTests : IDisposable
{
    private static readonly Lazy<byte[]> RealModel = new(() => File.ReadAllBytes(PretrainedResNet18.NetworkPath));
    private readonly string _dir = Directory.CreateTempSubdirectory("fluentattrib-models-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static OnnxImportException Refused(string path)
    {
        var e = Assert.Throws<OnnxImportException>(() => ResNetOnnxImporter.Import(path));
        Assert.Equal(path, e.Path);
        Assert.StartsWith(path + ": ", e.Message);
        return e;
    }

    [Fact]
    public void A_photo_is_not_an_onnx_model()
    {
        var e = Refused(Photos.PathOf("chelsea.jpg"));
        Assert.Contains("not a readable ONNX model", e.Problem);
        Assert.Contains("at byte", e.Problem);
    }

    [Fact]
    public void A_text_file_is_not_an_onnx_model()
    {
        var e = Refused(Write("notes.onnx", "This is not a model, just some words.\n"u8.ToArray()));
        Assert.Contains("ONNX model", e.Problem);
    }

    [Fact]
    public void An_empty_file_is_not_an_onnx_model()
    {
        var e = Refused(Write("empty.onnx", []));
        Assert.Contains("empty", e.Problem);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.999)]
    [InlineData(0.0001)]
    public void A_truncated_copy_is_refused(double fraction)
    {
        var bytes = RealModel.Value;
        var e = Refused(Write("truncated.onnx", bytes[..(int)(bytes.Length * fraction)]));
        Assert.Contains("truncated", e.Problem);
    }

    [Fact]
    public void A_missing_initializer_is_named()
    {
        // Constant267 is the running mean of layer3.0.bn2 (see the mapping test).
        var path = Write("missing.onnx", OnnxEditor.EditInitializers(RealModel.Value, (name, t) => name == "Constant267" ? null : t));
        var e = Refused(path);
        Assert.Contains("'Constant267'", e.Problem);
        Assert.Contains("layer3.0.bn2.running_mean", e.Problem);
        Assert.Contains("no initializer", e.Problem);
    }

    [Fact]
    public void A_missing_first_convolution_weight_is_named()
    {
        var path = Write("missing-conv1.onnx", OnnxEditor.EditInitializers(RealModel.Value, (name, t) => name == "Parameter91" ? null : t));
        var e = Refused(path);
        Assert.Contains("'Parameter91'", e.Problem);
        Assert.Contains("conv1.weight", e.Problem);
    }

    [Fact]
    public void A_misshaped_initializer_is_named_with_both_shapes()
    {
        var path = Write("misshaped.onnx", OnnxEditor.EditInitializers(RealModel.Value, (name, t) =>
            name == "Parameter91" ? OnnxEditor.FloatTensor(name, [64, 3, 5, 5], new float[64 * 3 * 5 * 5]) : t));
        var e = Refused(path);
        Assert.Contains("'Parameter91' (conv1.weight) has shape [64, 3, 5, 5]", e.Problem);
        Assert.Contains("[64, 3, 7, 7]", e.Problem);
    }

    [Fact]
    public void An_initializer_whose_data_does_not_fill_its_shape_is_refused()
    {
        var path = Write("short-data.onnx", OnnxEditor.EditInitializers(RealModel.Value, (name, t) =>
            name == "Parameter96" ? OnnxEditor.FloatTensor(name, [64], new float[63]) : t));
        var e = Refused(path);
        Assert.Contains("'Parameter96'", e.Problem);
        Assert.Contains("64 values", e.Problem);
    }

    [Fact]
    public void An_unused_extra_initializer_is_refused()
    {
        var path = Write("extra.onnx", OnnxEditor.EditInitializers(RealModel.Value, (_, t) => t,
            OnnxEditor.FloatTensor("fc_weight_from_elsewhere", [1000, 512], new float[1000 * 512])));
        var e = Refused(path);
        Assert.Contains("fc_weight_from_elsewhere", e.Problem);
        Assert.Contains("not used", e.Problem);
    }

    [Fact]
    public void The_preprocessing_graph_is_not_a_resnet()
    {
        var e = Refused(PretrainedResNet18.PreprocessPath);
        Assert.Contains("not a ResNet", e.Problem);
    }

    [Fact]
    public void The_network_is_not_the_preprocessing_graph()
    {
        var e = Assert.Throws<OnnxImportException>(() => ResNetPreprocess.Load(PretrainedResNet18.NetworkPath));
        Assert.Equal(PretrainedResNet18.NetworkPath, e.Path);
        Assert.Contains("not the ResNet preprocessing graph", e.Problem);
    }

    [Fact]
    public void A_missing_file_is_a_file_not_found()
    {
        string path = Path.Combine(_dir, "nowhere.onnx");
        var e = Assert.Throws<FileNotFoundException>(() => ResNetOnnxImporter.Import(path));
        Assert.Equal(path, e.FileName);
    }

    [Fact]
    public void A_backbone_of_the_wrong_shape_does_not_load_and_leaves_the_model_untouched()
    {
        using var model = ResNets.Create([2, 2, 2, 2], numClasses: 4);
        var before = model.state_dict()["conv1.weight"].clone();
        var wrong = new Dictionary<string, Tensor> { ["conv1.weight"] = zeros(64, 3, 5, 5) };
        var e = Assert.Throws<ArgumentException>(() => ResNets.LoadBackbone(model, wrong));
        Assert.Contains("'conv1.weight' has shape [64, 3, 5, 5]", e.Message);
        Assert.Contains("'layer1.0.conv1.weight' is missing", e.Message);
        Assert.True((model.state_dict()["conv1.weight"] == before).all().item<bool>());
    }
}
