using System.Text.RegularExpressions;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FluentAttrib.Architectures;

/// <summary>The residual block of a ResNet.</summary>
public enum ResNetBlock
{
    /// <summary>Two 3×3 convolutions (ResNet-18, ResNet-34).</summary>
    Basic,

    /// <summary>1×1, 3×3, 1×1 convolutions with 4× expansion (ResNet-50, -101, -152).</summary>
    Bottleneck,
}

/// <summary>
/// A ResNet whose every activation and residual addition is its own module, used once: the architecture of
/// TorchVision's ResNet with the same state dict (names and shapes), so rule-based methods (DeepLift, guided
/// backpropagation, deconvolution, LRP) reach every ReLU and addition. TorchVision's ResNet applies most ReLUs
/// and the additions functionally, where no module rule can reach them (Zennit calls this conversion a canonizer).
/// Get one from a TorchVision model with <see cref="From"/>, or create one with <see cref="ResNet18"/> etc.
/// </summary>
/// <remarks>
/// Modules: <c>conv1, bn1, relu, maxpool, layer1 … layer4, avgpool, fc</c>; in each block <c>conv1, bn1, relu1,
/// conv2, bn2, [relu2, conv3, bn3,] downsample, add, relu2 (relu3 in bottlenecks)</c>. The flattening before
/// <c>fc</c> is a reshape, which every method treats as linear.
/// </remarks>
public sealed class ExplainableResNet : Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // Field names are the state-dict names.
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly ReLU relu;
    private readonly MaxPool2d maxpool;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;
    private readonly AdaptiveAvgPool2d avgpool;
    private readonly Linear fc;
#pragma warning restore IDE1006

    /// <summary>
    /// A ResNet of <paramref name="block"/>s, <paramref name="layers"/>[i] blocks in stage i, with TorchVision's
    /// random initialisation (Kaiming-normal convolutions, unit BatchNorm).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="layers"/> does not have 4 positive entries.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numClasses"/> is less than 1.</exception>
    public ExplainableResNet(ResNetBlock block, IReadOnlyList<int> layers, int numClasses = 1000) : base("ExplainableResNet")
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count != 4 || layers.Any(n => n < 1))
            throw new ArgumentException("A ResNet has 4 stages, each with at least one block.", nameof(layers));
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        Block = block;
        StageBlocks = [.. layers];
        int expansion = block == ResNetBlock.Basic ? 1 : 4;
        conv1 = Conv2d(3, 64, kernel_size: 7, stride: 2, padding: 3, bias: false);
        bn1 = BatchNorm2d(64);
        relu = ReLU();
        maxpool = MaxPool2d(kernel_size: 3, stride: 2, padding: 1);
        long inPlanes = 64;
        Sequential Stage(int planes, int blocks, int stride)
        {
            var stage = Sequential();
            for (int i = 0; i < blocks; i++)
            {
                int s = i == 0 ? stride : 1;
                Sequential? downsample = null;
                if (i == 0 && (stride != 1 || inPlanes != planes * expansion))
                    downsample = Sequential(Conv2d(inPlanes, planes * expansion, kernel_size: 1, stride: s, bias: false), BatchNorm2d(planes * expansion));
                stage.append(block == ResNetBlock.Basic
                    ? new ExplainableBasicBlock(inPlanes, planes, s, downsample)
                    : new ExplainableBottleneck(inPlanes, planes, s, downsample));
                inPlanes = planes * expansion;
            }
            return stage;
        }
        layer1 = Stage(64, layers[0], 1);
        layer2 = Stage(128, layers[1], 2);
        layer3 = Stage(256, layers[2], 2);
        layer4 = Stage(512, layers[3], 2);
        avgpool = AdaptiveAvgPool2d([1, 1]);
        fc = Linear(512 * expansion, numClasses);
        RegisterComponents();

        foreach (var (_, m) in named_modules())
        {
            switch (m)
            {
                case Conv2d conv:
                    init.kaiming_normal_(conv.weight, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
                    break;
                case BatchNorm2d bn:
                    init.constant_(bn.weight, 1);
                    init.constant_(bn.bias, 0);
                    break;
            }
        }
    }

    /// <summary>The block type.</summary>
    public ResNetBlock Block { get; }

    /// <summary>Blocks per stage (layer1 … layer4).</summary>
    public IReadOnlyList<int> StageBlocks { get; }

    /// <summary>ResNet-18 (basic blocks, 2-2-2-2).</summary>
    public static ExplainableResNet ResNet18(int numClasses = 1000) => new(ResNetBlock.Basic, [2, 2, 2, 2], numClasses);

    /// <summary>ResNet-34 (basic blocks, 3-4-6-3).</summary>
    public static ExplainableResNet ResNet34(int numClasses = 1000) => new(ResNetBlock.Basic, [3, 4, 6, 3], numClasses);

    /// <summary>ResNet-50 (bottlenecks, 3-4-6-3).</summary>
    public static ExplainableResNet ResNet50(int numClasses = 1000) => new(ResNetBlock.Bottleneck, [3, 4, 6, 3], numClasses);

    /// <summary>ResNet-101 (bottlenecks, 3-4-23-3).</summary>
    public static ExplainableResNet ResNet101(int numClasses = 1000) => new(ResNetBlock.Bottleneck, [3, 4, 23, 3], numClasses);

    /// <summary>ResNet-152 (bottlenecks, 3-8-36-3).</summary>
    public static ExplainableResNet ResNet152(int numClasses = 1000) => new(ResNetBlock.Bottleneck, [3, 8, 36, 3], numClasses);

    /// <summary>
    /// The explainable equivalent of <paramref name="resnet"/> (TorchVision's <c>resnet18()</c> … <c>resnet152()</c>,
    /// or any module with their state dict): same architecture, a copy of its parameters and buffers, same dtype,
    /// device and train/eval mode. The source is not changed.
    /// </summary>
    /// <exception cref="ArgumentException">The state dict is not a ResNet's (names or shapes differ).</exception>
    public static ExplainableResNet From(nn.Module resnet)
    {
        ArgumentNullException.ThrowIfNull(resnet);
        var state = resnet.state_dict();
        var model = FromStateDict(state);
        if (!resnet.training) model.eval();
        return model;
    }

    /// <summary>
    /// A ResNet built for and loaded from <paramref name="stateDict"/> (TorchVision names), in its dtype and device.
    /// The block type, stage sizes and class count are read from the names and shapes.
    /// </summary>
    /// <exception cref="ArgumentException">The state dict is not a ResNet's (names or shapes differ).</exception>
    public static ExplainableResNet FromStateDict(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        if (!stateDict.TryGetValue("fc.weight", out var fcWeight) || !stateDict.TryGetValue("conv1.weight", out var stem))
            throw new ArgumentException("The state dict has no 'conv1.weight' or 'fc.weight': it is not a TorchVision ResNet's.", nameof(stateDict));
        var block = stateDict.ContainsKey("layer1.0.conv3.weight") ? ResNetBlock.Bottleneck : ResNetBlock.Basic;
        var layers = new int[4];
        var pattern = new Regex(@"^layer([1-4])\.(\d+)\.conv1\.weight$");
        foreach (var key in stateDict.Keys)
            if (pattern.Match(key) is { Success: true } m)
            {
                int stage = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) - 1;
                layers[stage] = Math.Max(layers[stage], int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) + 1);
            }
        if (layers.Any(n => n == 0))
            throw new ArgumentException("The state dict lacks blocks in some of layer1 … layer4: it is not a TorchVision ResNet's.", nameof(stateDict));
        var model = new ExplainableResNet(block, layers, (int)fcWeight.shape[0]);
        model.to(stem.device);
        model.to(stem.dtype);
        model.LoadExactly(stateDict);
        return model;
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = maxpool.call(relu.call(bn1.call(conv1.call(input))));
        x = layer4.call(layer3.call(layer2.call(layer1.call(x))));
        return fc.call(avgpool.call(x).flatten(1)).MoveToOuterDisposeScope();
    }
}

/// <summary>A ResNet basic block with its second ReLU and the residual addition as modules.</summary>
public sealed class ExplainableBasicBlock : Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly ReLU relu1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Sequential? downsample;
    private readonly Addition add;
    private readonly ReLU relu2;
#pragma warning restore IDE1006

    /// <summary>A block from <paramref name="inPlanes"/> to <paramref name="planes"/> channels.</summary>
    public ExplainableBasicBlock(long inPlanes, long planes, long stride, Sequential? downsample) : base("ExplainableBasicBlock")
    {
        conv1 = Conv2d(inPlanes, planes, kernel_size: 3, stride: stride, padding: 1, bias: false);
        bn1 = BatchNorm2d(planes);
        relu1 = ReLU();
        conv2 = Conv2d(planes, planes, kernel_size: 3, stride: 1, padding: 1, bias: false);
        bn2 = BatchNorm2d(planes);
        this.downsample = downsample;
        add = new Addition();
        relu2 = ReLU();
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        var x = relu1.call(bn1.call(conv1.call(input)));
        x = bn2.call(conv2.call(x));
        var identity = downsample is null ? input : downsample.call(input);
        return relu2.call(add.call(x, identity));
    }
}

/// <summary>A ResNet bottleneck block with its last ReLU and the residual addition as modules.</summary>
public sealed class ExplainableBottleneck : Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly ReLU relu1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly ReLU relu2;
    private readonly Conv2d conv3;
    private readonly BatchNorm2d bn3;
    private readonly Sequential? downsample;
    private readonly Addition add;
    private readonly ReLU relu3;
#pragma warning restore IDE1006

    /// <summary>A block from <paramref name="inPlanes"/> to 4 × <paramref name="planes"/> channels.</summary>
    public ExplainableBottleneck(long inPlanes, long planes, long stride, Sequential? downsample) : base("ExplainableBottleneck")
    {
        conv1 = Conv2d(inPlanes, planes, kernel_size: 1, bias: false);
        bn1 = BatchNorm2d(planes);
        relu1 = ReLU();
        conv2 = Conv2d(planes, planes, kernel_size: 3, stride: stride, padding: 1, bias: false);
        bn2 = BatchNorm2d(planes);
        relu2 = ReLU();
        conv3 = Conv2d(planes, planes * 4, kernel_size: 1, bias: false);
        bn3 = BatchNorm2d(planes * 4);
        this.downsample = downsample;
        add = new Addition();
        relu3 = ReLU();
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        var x = relu1.call(bn1.call(conv1.call(input)));
        x = relu2.call(bn2.call(conv2.call(x)));
        x = bn3.call(conv3.call(x));
        var identity = downsample is null ? input : downsample.call(input);
        return relu3.call(add.call(x, identity));
    }
}

/// <summary>State-dict loading shared by the explainable models.</summary>
internal static class StateDictLoading
{
    /// <summary>Loads <paramref name="source"/> strictly, with a clear error for missing, unexpected or mis-shaped entries.</summary>
    public static void LoadExactly(this nn.Module model, IReadOnlyDictionary<string, Tensor> source)
    {
        var own = model.state_dict();
        var missing = own.Keys.Where(k => !source.ContainsKey(k)).ToList();
        var unexpected = source.Keys.Where(k => !own.ContainsKey(k)).ToList();
        var misshaped = own.Keys.Where(k => source.TryGetValue(k, out var t) && !t.shape.SequenceEqual(own[k].shape))
            .Select(k => $"{k} {FluentAttrib.Shapes.Format(source[k].shape)} (expected {FluentAttrib.Shapes.Format(own[k].shape)})").ToList();
        if (missing.Count + unexpected.Count + misshaped.Count > 0)
            throw new ArgumentException(
                $"The state dict does not fit {model.GetName()}: " +
                string.Join("; ", new[]
                {
                    missing.Count > 0 ? "missing " + string.Join(", ", missing.Take(5)) + (missing.Count > 5 ? ", …" : "") : null,
                    unexpected.Count > 0 ? "unexpected " + string.Join(", ", unexpected.Take(5)) + (unexpected.Count > 5 ? ", …" : "") : null,
                    misshaped.Count > 0 ? "shape mismatch " + string.Join(", ", misshaped.Take(5)) + (misshaped.Count > 5 ? ", …" : "") : null,
                }.Where(s => s is not null)) + ".",
                "stateDict");
        using var _ = no_grad();
        foreach (var (key, target) in own)
            target.copy_(source[key]);
    }
}
