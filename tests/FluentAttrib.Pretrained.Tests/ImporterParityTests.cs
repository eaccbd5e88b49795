using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace FluentAttrib.Pretrained.Tests;

/// <summary>
/// The imported network against ONNX Runtime running the very same ONNX files, on real photos: the preprocessing
/// must match exactly and the 512-d features within 1e-5.
/// </summary>
public sealed class ImporterParityTests(PretrainedFixture pretrained, ITestOutputHelper output) : IClassFixture<PretrainedFixture>
{
    private readonly PretrainedFixture _pretrained = pretrained;

    public static TheoryData<string> PhotoNames => new() { "chelsea.jpg", "dog_cat.jpg", "cat_dog.jpg" };

    [Theory]
    [MemberData(nameof(PhotoNames))]
    public void Features_equal_OnnxRuntimes_on_a_real_photo(string photo)
    {
        float[] rgb = Photos.Rgb224(photo);
        int[] shape = [1, 3, 224, 224];

        // ONNX Runtime: the package's two graphs, one after the other.
        using var prepSession = new InferenceSession(PretrainedResNet18.PreprocessPath);
        using var netSession = new InferenceSession(PretrainedResNet18.NetworkPath);
        var rgbOrt = new DenseTensor<float>(rgb, shape);
        using var prepared = prepSession.Run([NamedOnnxValue.CreateFromTensor(prepSession.InputMetadata.Keys.Single(), rgbOrt)]);
        var preparedOrt = prepared.Single().AsTensor<float>().ToArray();
        using var features = netSession.Run([NamedOnnxValue.CreateFromTensor(_pretrained.Weights.InputName, new DenseTensor<float>(preparedOrt, shape))]);
        var featuresOrt = features.Single(f => f.Name == _pretrained.Weights.OutputName).AsTensor<float>().ToArray();
        Assert.Equal(PretrainedResNet18.FeatureCount, featuresOrt.Length);

        // TorchSharp: the imported preprocessing and weights in TorchVision's ResNet.
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var preparedTorch = _pretrained.Preprocess.call(tensor(rgb, [1, 3, 224, 224]));
        Assert.Equal(preparedOrt, preparedTorch.data<float>().ToArray());
        var (_, pooled) = ResNets.Features(_pretrained.Model, preparedTorch);
        var featuresTorch = pooled.data<float>().ToArray();

        double maxAbs = featuresOrt.Zip(featuresTorch, (a, b) => Math.Abs(a - b)).Max();
        double scale = featuresOrt.Max(Math.Abs);
        output.WriteLine($"{photo}: max |ORT - TorchSharp| = {maxAbs:E2} over 512 features (largest feature {scale:F3}, relative {maxAbs / scale:E2})");
        Assert.True(maxAbs < 1e-5, $"{photo}: features differ from ONNX Runtime's by {maxAbs:E2}");
        Assert.True(scale > 1, "the features should not be trivially small");
    }

    [Fact]
    public void Photos_of_different_content_give_different_features()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var a = ResNets.Features(_pretrained.Model, _pretrained.Preprocess.call(tensor(Photos.Rgb224("chelsea.jpg"), [1, 3, 224, 224]))).Pooled;
        var b = ResNets.Features(_pretrained.Model, _pretrained.Preprocess.call(tensor(Photos.Rgb224("dog_cat.jpg"), [1, 3, 224, 224]))).Pooled;
        double cosine = nn.functional.cosine_similarity(a, b).item<float>();
        Assert.InRange(cosine, 0, 0.95);
    }
}

/// <summary>The imported network and preprocessing, loaded once for the test class.</summary>
public sealed class PretrainedFixture : IDisposable
{
    public PretrainedFixture()
    {
        Weights = PretrainedResNet18.ImportWeights();
        Model = Weights.CreateModel(numClasses: 4);
        Preprocess = PretrainedResNet18.LoadPreprocess();
    }

    public ImportedResNet Weights { get; }
    public TorchSharp.Modules.ResNet Model { get; }
    public ResNetPreprocess Preprocess { get; }

    public void Dispose()
    {
        Model.Dispose();
        Preprocess.Dispose();
        Weights.Dispose();
    }
}
