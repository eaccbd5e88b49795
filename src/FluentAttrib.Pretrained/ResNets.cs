using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FluentAttrib.Pretrained;

/// <summary>
/// TorchVision's <see cref="TorchSharp.Modules.ResNet"/> built with <see cref="BasicBlock"/>s in any stage layout
/// (ResNet-18 is [2,2,2,2]; the ONNX ResNet18 that ML.NET ships is [2,2,2,3]), loading of a backbone state dict, and
/// the forward pass up to the pooled features.
/// </summary>
public static class ResNets
{
    /// <summary>Names of the final classifier's parameters, which a backbone state dict does not have.</summary>
    public static IReadOnlyList<string> HeadKeys { get; } = ["fc.weight", "fc.bias"];

    /// <summary>
    /// Builds TorchVision's ResNet with <paramref name="layout"/>[i] <see cref="BasicBlock"/>s in stage i+1 and a
    /// <paramref name="numClasses"/>-way <c>fc</c>. Its state-dict names are TorchVision's (and PyTorch's).
    /// </summary>
    /// <exception cref="ArgumentException">The layout does not have four stages of at least one block each.</exception>
    public static TorchSharp.Modules.ResNet Create(IReadOnlyList<int> layout, int numClasses)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (layout.Count != 4 || layout.Any(n => n < 1))
            throw new ArgumentException($"A ResNet has four stages of at least one block each; got [{string.Join(", ", layout)}].", nameof(layout));
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        return new TorchSharp.Modules.ResNet(
            $"ResNet[{string.Join(",", layout)}]",
            (inPlanes, planes, stride, downsample, groups, baseWidth, dilation, normLayer) =>
                new BasicBlock(inPlanes, planes, stride, downsample),
            BasicBlock.Expansion, [.. layout], numClasses);
    }

    /// <summary>
    /// Loads <paramref name="backbone"/> (every entry of the model's state dict but <see cref="HeadKeys"/>) into
    /// <paramref name="model"/>, checking names and shapes first so a mismatch leaves the model untouched.
    /// </summary>
    /// <exception cref="ArgumentException">An entry is missing, extra or of another shape (all are listed).</exception>
    public static void LoadBackbone(nn.Module model, IReadOnlyDictionary<string, Tensor> backbone)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(backbone);
        var expected = model.state_dict();
        var problems = new List<string>();
        foreach (var (name, tensor) in expected)
        {
            if (HeadKeys.Contains(name)) continue;
            if (!backbone.TryGetValue(name, out var given)) problems.Add($"'{name}' is missing");
            else if (!given.shape.SequenceEqual(tensor.shape))
                problems.Add($"'{name}' has shape [{string.Join(", ", given.shape)}], the model's is [{string.Join(", ", tensor.shape)}]");
        }
        foreach (var name in backbone.Keys)
            if (!expected.ContainsKey(name) && !HeadKeys.Contains(name)) problems.Add($"'{name}' is not a parameter or buffer of the model");
        if (problems.Count > 0)
            throw new ArgumentException("The backbone state dict does not fit the model: " + string.Join("; ", problems) + ".", nameof(backbone));

        using var _ = no_grad();
        foreach (var (name, tensor) in expected)
        {
            if (!HeadKeys.Contains(name))
                tensor.copy_(backbone[name]);
        }
    }

    /// <summary>
    /// Runs <paramref name="model"/> up to its last stage and its global average pool: returns layer4's activation
    /// (N×512×h×w) and the pooled features (N×512) that the <c>fc</c> layer would read.
    /// </summary>
    public static (Tensor Layer4, Tensor Pooled) Features(TorchSharp.Modules.ResNet model, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        var children = model.named_children().ToDictionary(c => c.name, c => (Module<Tensor, Tensor>)c.module);
        using var scope = NewDisposeScope();
        Tensor x = input;
        foreach (var name in new[] { "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4" })
            x = children[name].call(x);
        var pooled = children["flatten"].call(children["avgpool"].call(x));
        return (x.MoveToOuterDisposeScope(), pooled.MoveToOuterDisposeScope());
    }
}

/// <summary>
/// TorchVision's ResNet basic block (two 3×3 convolutions with batch norm, a shortcut, ReLU after the sum), with
/// TorchVision's state-dict names: <c>conv1</c>, <c>bn1</c>, <c>conv2</c>, <c>bn2</c>, <c>downsample.0/1</c>.
/// TorchVision's own block is not public; this one computes the same function, with an out-of-place sum and ReLU so
/// hooks and autograd see every intermediate value intact.
/// </summary>
public sealed class BasicBlock : Module<Tensor, Tensor>
{
    /// <summary>Output channels per <c>planes</c> (1 for a basic block).</summary>
    public const int Expansion = 1;

    private readonly Module<Tensor, Tensor> conv1;
    private readonly Module<Tensor, Tensor> bn1;
    private readonly Module<Tensor, Tensor> relu1;
    private readonly Module<Tensor, Tensor> conv2;
    private readonly Module<Tensor, Tensor> bn2;
    private readonly Module<Tensor, Tensor>? downsample;

    /// <summary>Creates a block from <paramref name="inPlanes"/> to <paramref name="planes"/> channels.</summary>
    public BasicBlock(long inPlanes, long planes, long stride = 1, Module<Tensor, Tensor>? downsample = null) : base(nameof(BasicBlock))
    {
        conv1 = Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false);
        bn1 = BatchNorm2d(planes);
        relu1 = ReLU();
        conv2 = Conv2d(planes, planes, 3, stride: 1, padding: 1, bias: false);
        bn2 = BatchNorm2d(planes);
        this.downsample = downsample;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        var x = relu1.call(bn1.call(conv1.call(input)));
        x = bn2.call(conv2.call(x));
        var identity = downsample is null ? input : downsample.call(input);
        return (x + identity).relu();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            conv1.Dispose();
            bn1.Dispose();
            relu1.Dispose();
            conv2.Dispose();
            bn2.Dispose();
            downsample?.Dispose();
        }
        base.Dispose(disposing);
    }
}
