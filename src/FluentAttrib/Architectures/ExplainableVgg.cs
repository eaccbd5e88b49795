using System.Collections.Immutable;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FluentAttrib.Architectures;

/// <summary>
/// A VGG-style plain CNN (Simonyan and Zisserman, 2015) with the module layout and state dict of TorchVision's
/// VGG (<c>features.N</c>, <c>avgpool</c>, <c>classifier.N</c>), every ReLU its own module used once and not in place,
/// so rule-based methods see every activation. Get one from a TorchVision VGG with <see cref="From"/>, or create
/// one with <see cref="Vgg11"/> etc. or the constructor (any configuration, small ones for small images).
/// </summary>
public sealed class ExplainableVgg : Module<Tensor, Tensor>
{
    /// <summary>In a configuration, this entry stands for a 2×2 max pooling.</summary>
    public const int MaxPool = 0;

#pragma warning disable IDE1006 // Field names are the state-dict names.
    private readonly Sequential features;
    private readonly AdaptiveAvgPool2d avgpool;
    private readonly Sequential classifier;
#pragma warning restore IDE1006

    /// <summary>
    /// A VGG: <paramref name="configuration"/> lists the output channels of the 3×3 convolutions in order, with
    /// <see cref="MaxPool"/> (0) for a 2×2 max pooling; each convolution is followed by a BatchNorm2d (when
    /// <paramref name="batchNorm"/>) and a ReLU. Then adaptive average pooling to
    /// <paramref name="pooledSize"/>², and a classifier Linear-ReLU-Dropout-Linear-ReLU-Dropout-Linear with
    /// <paramref name="hidden"/> hidden units. TorchVision's initialisation.
    /// </summary>
    /// <exception cref="ArgumentException">The configuration has no convolution or a negative entry.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is less than 1, or the dropout is outside [0, 1).</exception>
    public ExplainableVgg(IReadOnlyList<int> configuration, bool batchNorm, int numClasses = 1000, int hidden = 4096,
        int pooledSize = 7, double dropout = 0.5, int inChannels = 3) : base("ExplainableVgg")
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (configuration.Any(c => c < 0) || !configuration.Any(c => c > 0))
            throw new ArgumentException("A VGG configuration lists positive channel counts (and 0 for max pooling), at least one convolution.", nameof(configuration));
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hidden, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(pooledSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        if (!(dropout >= 0 && dropout < 1)) throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "Dropout must be in [0, 1).");
        Configuration = [.. configuration];
        BatchNorm = batchNorm;
        var layers = new List<Module<Tensor, Tensor>>();
        long channels = inChannels;
        foreach (int c in configuration)
        {
            if (c == MaxPool)
            {
                layers.Add(MaxPool2d(kernel_size: 2, stride: 2));
                continue;
            }
            layers.Add(Conv2d(channels, c, kernel_size: 3, padding: 1));
            if (batchNorm) layers.Add(BatchNorm2d(c));
            layers.Add(ReLU());
            channels = c;
        }
        features = Sequential(layers);
        avgpool = AdaptiveAvgPool2d([pooledSize, pooledSize]);
        classifier = Sequential(
            Linear(channels * pooledSize * pooledSize, hidden), ReLU(), Dropout(dropout),
            Linear(hidden, hidden), ReLU(), Dropout(dropout),
            Linear(hidden, numClasses));
        RegisterComponents();

        foreach (var (_, m) in named_modules())
        {
            switch (m)
            {
                case Conv2d conv:
                    init.kaiming_normal_(conv.weight, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
                    if (conv.bias is { } cb) init.constant_(cb, 0);
                    break;
                case BatchNorm2d bn:
                    init.constant_(bn.weight, 1);
                    init.constant_(bn.bias, 0);
                    break;
                case Linear linear:
                    init.normal_(linear.weight, 0, 0.01);
                    if (linear.bias is { } lb) init.constant_(lb, 0);
                    break;
            }
        }
    }

    /// <summary>Channels of the convolutions in order, <see cref="MaxPool"/> for pooling.</summary>
    public ImmutableArray<int> Configuration { get; }

    /// <summary>Whether each convolution is followed by a BatchNorm2d.</summary>
    public bool BatchNorm { get; }

    /// <summary>VGG-11 (TorchVision's configuration "A").</summary>
    public static ExplainableVgg Vgg11(bool batchNorm = false, int numClasses = 1000) =>
        new([64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0], batchNorm, numClasses);

    /// <summary>VGG-13 (configuration "B").</summary>
    public static ExplainableVgg Vgg13(bool batchNorm = false, int numClasses = 1000) =>
        new([64, 64, 0, 128, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0], batchNorm, numClasses);

    /// <summary>VGG-16 (configuration "D").</summary>
    public static ExplainableVgg Vgg16(bool batchNorm = false, int numClasses = 1000) =>
        new([64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0], batchNorm, numClasses);

    /// <summary>VGG-19 (configuration "E").</summary>
    public static ExplainableVgg Vgg19(bool batchNorm = false, int numClasses = 1000) =>
        new([64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512, 0], batchNorm, numClasses);

    /// <summary>
    /// The explainable equivalent of <paramref name="vgg"/> (TorchVision's <c>vgg11()</c> … <c>vgg19_bn()</c>, or
    /// any module with their layout: <c>features</c> of Conv2d / BatchNorm2d / ReLU / MaxPool2d, <c>avgpool</c>,
    /// <c>classifier</c>): same architecture, a copy of its parameters and buffers, same dtype, device and
    /// train/eval mode. The source is not changed.
    /// </summary>
    /// <exception cref="ArgumentException">The model does not have that layout or its state dict does not fit.</exception>
    public static ExplainableVgg From(nn.Module vgg)
    {
        ArgumentNullException.ThrowIfNull(vgg);
        var children = vgg.named_children().ToDictionary(c => c.name, c => c.module);
        if (!children.TryGetValue("features", out var featureModule) || !children.TryGetValue("classifier", out _) || !children.TryGetValue("avgpool", out var pool))
            throw new ArgumentException("The model has no 'features', 'avgpool' and 'classifier' modules: it is not laid out as TorchVision's VGG.", nameof(vgg));
        var configuration = new List<int>();
        bool batchNorm = false;
        long inChannels = -1;
        foreach (var (name, m) in featureModule.named_children())
        {
            switch (m)
            {
                case Conv2d conv:
                    if (!conv.kernel_size.SequenceEqual([3L, 3L]) || conv.padding is not { } p || !p.SequenceEqual([1L, 1L]) || !conv.stride.SequenceEqual([1L, 1L]))
                        throw new ArgumentException($"features.{name} is not a 3×3 convolution with padding 1 and stride 1.", nameof(vgg));
                    if (inChannels < 0) inChannels = conv.in_channels;
                    configuration.Add((int)conv.out_channels);
                    break;
                case TorchSharp.Modules.BatchNorm2d:
                    batchNorm = true;
                    break;
                case TorchSharp.Modules.ReLU:
                    break;
                case MaxPool2d mp when mp.kernel_size.SequenceEqual([2L, 2L]) && (mp.stride ?? mp.kernel_size).SequenceEqual([2L, 2L]):
                    configuration.Add(MaxPool);
                    break;
                default:
                    throw new ArgumentException($"features.{name} is a {m.GetType().Name}; a VGG's features hold only 3×3 Conv2d, BatchNorm2d, ReLU and 2×2 MaxPool2d.", nameof(vgg));
            }
        }
        var state = vgg.state_dict();
        if (!state.TryGetValue("classifier.0.weight", out var first) || !state.TryGetValue("classifier.6.weight", out var last))
            throw new ArgumentException("The classifier is not Linear-ReLU-Dropout-Linear-ReLU-Dropout-Linear.", nameof(vgg));
        long lastChannels = configuration.Last(c => c > 0);
        int pooled = (int)Math.Round(Math.Sqrt(first.shape[1] / (double)lastChannels));
        double dropout = vgg.named_modules().Select(m => m.module).OfType<Dropout>().FirstOrDefault()?.p ?? 0.5;
        var model = new ExplainableVgg(configuration, batchNorm, (int)last.shape[0], (int)first.shape[0], pooled, dropout, (int)inChannels);
        if (pool is AdaptiveAvgPool2d && pooled * pooled * lastChannels != first.shape[1])
            throw new ArgumentException($"classifier.0 takes {first.shape[1]} features, which is not {lastChannels} channels × a square pooled size.", nameof(vgg));
        model.to(first.device);
        model.to(first.dtype);
        model.LoadExactly(state);
        if (!vgg.training) model.eval();
        return model;
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = avgpool.call(features.call(input)).flatten(1);
        return classifier.call(x).MoveToOuterDisposeScope();
    }
}
