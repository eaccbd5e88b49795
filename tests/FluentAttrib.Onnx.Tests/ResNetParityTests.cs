using FluentAttrib.Pretrained;
using Microsoft.ML.OnnxRuntime;
using SkiaSharp;
using TorchSharp;
using Xunit.Abstractions;
using static FluentAttrib.Fluent;
using static FluentAttrib.Onnx.OnnxFluent;
using static TorchSharp.torch;

namespace FluentAttrib.Onnx.Tests;

/// <summary>
/// The real network: ML.NET's ImageNet-pretrained ResNet18 backbone as ONNX (fixed batch 1, as shipped, and a copy with
/// a dynamic batch) with a 4-way linear head applied after the session, against the same backbone imported into
/// TorchSharp with the same head as its <c>fc</c>. Same method, same seed, same photo: attributions agree within 1e-5
/// of their scale, whether the TorchSharp side evaluates every perturbed copy in full or incrementally (the default).
/// </summary>
public sealed class ResNetParityTests(ResNetPair pair, ITestOutputHelper output) : IClassFixture<ResNetPair>
{
    public static TheoryData<string> MethodNames => new(Methods.Keys);

    private static readonly Dictionary<string, AttributionMethod> Methods = new()
    {
        // Incremental(false): the TorchSharp side evaluates every occluded copy in full, as ONNX Runtime does.
        ["Occlusion"] = Occlusion.Window(3, 64, 64).Stride(3, 32, 32).Incremental(false),
        ["FeatureAblation"] = FeatureAblation.Default.Mask(ResNetPair.Cells(4)).Incremental(false),
        // The defaults: the TorchSharp side recomputes only the region each copy changes (the backbone's blocks are
        // recognised by the incremental evaluator); ONNX Runtime still runs every copy in full. 32-pixel regions: with
        // 64-pixel ones the incremental path would save too little (1.7×) and is not taken.
        ["Occlusion, incremental"] = Occlusion.Window(3, 32, 32).Stride(3, 32, 32),
        ["FeatureAblation, incremental"] = FeatureAblation.Default.Mask(ResNetPair.Cells(7)),
        ["KernelShap"] = KernelShap.Samples(24).Mask(ResNetPair.Cells(4)).Seed(0),
        ["Rise"] = Rise.Samples(24).GridSize(4).Seed(0),
    };

    [Theory]
    [MemberData(nameof(MethodNames))]
    public void Same_method_same_result_through_ONNX_Runtime_and_TorchSharp(string name)
    {
        var method = Methods[name];
        using var torchResult = Explain(pair.Torch).For(ResNetPair.Target).With(method).Attribute(pair.Input);
        using var fixedResult = Explain(pair.FixedBatch).For(ResNetPair.Target).With(method).Attribute(pair.Input);
        using var dynamicResult = Explain(pair.DynamicBatch).For(ResNetPair.Target).With(method).Attribute(pair.Input);
        double scale = torchResult.Value.abs().max().item<float>();
        double fixedDiff = (fixedResult.Value - torchResult.Value).abs().max().item<float>();
        double dynamicDiff = (dynamicResult.Value - torchResult.Value).abs().max().item<float>();
        output.WriteLine($"{name}: TorchSharp side: {torchResult.Method}");
        output.WriteLine($"{name}: scale {scale:G4}, |ONNX batch-1 − TorchSharp| ≤ {fixedDiff:G3} ({fixedDiff / scale:G3} of scale), |ONNX dynamic − TorchSharp| ≤ {dynamicDiff:G3} ({dynamicDiff / scale:G3})");
        Assert.True(scale > 0);
        // An incremental entry must really have taken the incremental path (Attribution.Method says how it went).
        if (name.EndsWith(", incremental", StringComparison.Ordinal))
        {
            Assert.Contains("incremental (", torchResult.Method);
            Assert.Contains("not incremental: the model is a black box", fixedResult.Method); // and the session says why it is not
        }
        Assert.True(fixedDiff <= 1e-5 * scale, $"batch-1 session: {fixedDiff:G3} of {scale:G3}");
        Assert.True(dynamicDiff <= 1e-5 * scale, $"dynamic session: {dynamicDiff:G3} of {scale:G3}");
    }
}

/// <summary>The two runtimes' copies of the network, loaded once for the class.</summary>
public sealed class ResNetPair : IDisposable
{
    public const int Target = 1;

    public ResNetPair()
    {
        TorchRuntime.EnsureLoaded();
        FixedSession = new InferenceSession(PretrainedResNet18.NetworkPath);
        DynamicSession = new InferenceSession(TestGraphs.WithDynamicBatch(PretrainedResNet18.NetworkPath));
        using (var g = new Generator(17))
        {
            Head = nn.Linear(PretrainedResNet18.FeatureCount, 4);
            using var _ = no_grad();
            Head.weight!.copy_(randn(Head.weight.shape, generator: g) * 0.05);
            Head.bias!.copy_(randn(Head.bias.shape, generator: g) * 0.1);
        }
        Torch = PretrainedResNet18.Create(4);
        {
            using var _ = no_grad();
            var fc = (nn.Module)Torch.named_children().Single(c => c.name == "fc").module;
            fc.state_dict()["weight"].copy_(Head.weight!);
            fc.state_dict()["bias"].copy_(Head.bias!);
        }
        Torch.eval();
        FixedBatch = OnnxModel.From(FixedSession).Head(Classify);
        DynamicBatch = OnnxModel.From(DynamicSession).Head(Classify);
        using var preprocess = PretrainedResNet18.LoadPreprocess();
        using var rgb = Photo("chelsea.jpg");
        using (no_grad()) Input = preprocess.call(rgb).detach();
    }

    public InferenceSession FixedSession { get; }

    public InferenceSession DynamicSession { get; }

    public nn.Module<Tensor, Tensor> Torch { get; }

    public TorchSharp.Modules.Linear Head { get; }

    public OnnxModel FixedBatch { get; }

    public OnnxModel DynamicBatch { get; }

    /// <summary>The preprocessed photo, 1×3×224×224.</summary>
    public Tensor Input { get; }

    private Tensor Classify(Tensor features) => Head.call(features.flatten(1));

    /// <summary>A feature mask of cells×cells square superpixels over 224×224 (shared by the channels).</summary>
    public static Tensor Cells(int cells)
    {
        var rows = arange(224, dtype: ScalarType.Int64).div(224 / cells, rounding_mode: RoundingMode.floor);
        return (rows.unsqueeze(1) * cells + rows.unsqueeze(0)).reshape(1, 1, 224, 224);
    }

    /// <summary>A photo copied beside the tests, stretched to 224×224: 1×3×224×224 planar RGB in 0–255.</summary>
    public static Tensor Photo(string name)
    {
        const int size = 224;
        using var decoded = SKBitmap.Decode(Path.Combine(AppContext.BaseDirectory, "photos", name)) ?? throw new InvalidDataException(name);
        using var resized = decoded.Resize(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Unpremul),
            new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None));
        ReadOnlySpan<byte> rgba = resized.GetPixelSpan();
        var planes = new float[3 * size * size];
        for (int p = 0; p < size * size; p++)
            for (int c = 0; c < 3; c++)
                planes[c * size * size + p] = rgba[4 * p + c];
        return tensor(planes, [1, 3, size, size]);
    }

    public void Dispose()
    {
        FixedSession.Dispose();
        DynamicSession.Dispose();
        Torch.Dispose();
        Head.Dispose();
        Input.Dispose();
    }
}
