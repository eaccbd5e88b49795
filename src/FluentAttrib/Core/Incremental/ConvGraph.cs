using FluentAttrib.Architectures;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FluentAttrib.Core.Incremental;

/// <summary>What a node of a <see cref="ConvGraph"/> computes.</summary>
internal enum NodeKind
{
    /// <summary>The model input (node 0).</summary>
    Input,

    /// <summary>A 2-D convolution (any kernel, stride, zero padding, dilation, groups).</summary>
    Conv,

    /// <summary>An operation that acts on every spatial position on its own (activations, BatchNorm in eval).</summary>
    Pointwise,

    /// <summary>Max pooling (padding behaves as −∞).</summary>
    MaxPool,

    /// <summary>Average pooling (padding counts as zeros).</summary>
    AvgPool,

    /// <summary>Element-wise sum of two nodes (a residual addition).</summary>
    Add,
}

/// <summary>One operation of a <see cref="ConvGraph"/> with its spatial geometry.</summary>
internal sealed class GraphNode
{
    public required int Id { get; init; }
    public required NodeKind Kind { get; init; }
    public required string Name { get; init; }

    /// <summary>The nodes this one reads (one, or two for <see cref="NodeKind.Add"/>; none for the input).</summary>
    public int[] Inputs { get; init; } = [];

    /// <summary>Kernel, stride, padding and dilation per spatial dimension (H, W) of a convolution or pooling.</summary>
    public long[] Kernel { get; init; } = [1, 1];
    public long[] Stride { get; init; } = [1, 1];
    public long[] Padding { get; init; } = [0, 0];
    public long[] Dilation { get; init; } = [1, 1];

    public Conv2d? Conv { get; init; }

    /// <summary>The module of a pointwise node.</summary>
    public nn.Module<Tensor, Tensor>? Module { get; init; }

    /// <summary>A pointwise node that the model applies functionally (TorchVision's block-final ReLU), not in place.</summary>
    public Func<Tensor, Tensor>? Function { get; init; }

    /// <summary>Multiply-adds per output position (all output channels) of a convolution; 0 for other nodes.</summary>
    public long MacsPerPosition { get; set; }

    /// <summary>Output shape of one example (C, H, W), set by <see cref="ConvGraph.InferShapes"/>.</summary>
    public long[] Shape { get; set; } = [];

    /// <summary>How many nodes read this one.</summary>
    public int Consumers { get; set; }

    /// <summary>Extent of the window a convolution or pooling reads per output position, per dimension.</summary>
    public long Span(int d) => Dilation[d] * (Kernel[d] - 1) + 1;
}

/// <summary>
/// A model seen as a graph of operations whose effect on a spatial region is known (convolutions, pointwise
/// operations, poolings, residual additions), followed by a tail of whatever the analysis does not understand
/// (global pooling, flattening, linear layers, unknown modules), run as plain modules on the graph's last node.
/// Built from the structure of <see cref="ExplainableResNet"/>, <see cref="ExplainableVgg"/>, their blocks, TorchSharp's
/// TorchVision networks (ResNet with BasicBlock and Bottleneck, VGG with and without BatchNorm, AlexNet, MobileNet V2
/// and V3: recognised by module type, their functional ReLUs and residual additions modelled as their forwards apply
/// them) and <see cref="Sequential"/> containers of known modules; anything else ends the graph. The graph is only a
/// description: callers check it against the model's own forward on the clean input before trusting it.
/// </summary>
internal sealed class ConvGraph
{
    private ConvGraph(List<GraphNode> nodes, int output, List<Func<Tensor, Tensor>> tail)
    {
        Nodes = nodes;
        Output = output;
        Tail = tail;
    }

    /// <summary>The nodes in evaluation order; node 0 is the input.</summary>
    public IReadOnlyList<GraphNode> Nodes { get; }

    /// <summary>The node the tail reads.</summary>
    public int Output { get; }

    /// <summary>The rest of the model, applied in order to the full output node.</summary>
    public IReadOnlyList<Func<Tensor, Tensor>> Tail { get; }

    /// <summary>
    /// The graph of <paramref name="model"/>, or null when nothing spatial is understood (then there is nothing to
    /// gain) or some module is in training mode (BatchNorm statistics and dropout are then not local).
    /// </summary>
    public static ConvGraph? Analyze(nn.Module model) => Analyze(model, out _);

    /// <summary>As <see cref="Analyze(nn.Module)"/>, saying why there is no graph (<paramref name="reason"/>).</summary>
    public static ConvGraph? Analyze(nn.Module model, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(model);
        reason = null;
        if (model.training || model.modules().Any(m => m.training))
        {
            reason = "the model (or one of its modules) is in training mode; call model.eval()";
            return null;
        }
        var builder = new Builder();
        builder.Item(model);
        if (builder.Failed)
        {
            reason = $"a module after the convolutional part ({builder.FirstTail ?? "?"}) does not take a single tensor";
            return null;
        }
        if (!builder.Nodes.Any(n => n.Kind is NodeKind.Conv or NodeKind.MaxPool or NodeKind.AvgPool))
        {
            reason = $"no convolution or pooling comes before the first module the analysis does not know ({builder.FirstTail ?? model.GetType().Name})";
            return null;
        }
        foreach (var n in builder.Nodes)
            foreach (int i in n.Inputs)
                builder.Nodes[i].Consumers++;
        builder.Nodes[builder.Current].Consumers++; // the tail
        return new ConvGraph(builder.Nodes, builder.Current, builder.Tail) { TailStart = builder.FirstTail, TailConvolution = builder.FirstTailConvolution };
    }

    /// <summary>The first module the analysis did not understand (where the graph ends), or null.</summary>
    public string? TailStart { get; private init; }

    /// <summary>
    /// The first module of the tail that holds a convolution (from there on every copy runs in full), or null when
    /// the tail is only the head (global pooling, flattening, linear layers).
    /// </summary>
    public string? TailConvolution { get; private init; }

    /// <summary>
    /// Sets every node's per-example shape for an input of per-example shape <paramref name="input"/> (C, H, W).
    /// Returns false when a shape does not work out (the model would fail on this input anyway).
    /// </summary>
    public bool InferShapes(long[] input)
    {
        foreach (var n in Nodes)
        {
            switch (n.Kind)
            {
                case NodeKind.Input:
                    n.Shape = input;
                    break;
                case NodeKind.Pointwise:
                    n.Shape = Nodes[n.Inputs[0]].Shape;
                    break;
                case NodeKind.Add:
                    var a = Nodes[n.Inputs[0]].Shape;
                    if (!a.SequenceEqual(Nodes[n.Inputs[1]].Shape)) return false;
                    n.Shape = a;
                    break;
                default:
                    var s = Nodes[n.Inputs[0]].Shape;
                    long c = s[0];
                    if (n.Kind == NodeKind.Conv)
                    {
                        if (n.Conv!.in_channels != c) return false;
                        c = n.Conv.out_channels;
                        n.MacsPerPosition = c * (n.Conv.in_channels / n.Conv.groups) * n.Kernel[0] * n.Kernel[1];
                    }
                    long h = (s[1] + 2 * n.Padding[0] - n.Span(0)) / n.Stride[0] + 1;
                    long w = (s[2] + 2 * n.Padding[1] - n.Span(1)) / n.Stride[1] + 1;
                    if (s[1] + 2 * n.Padding[0] < n.Span(0) || s[2] + 2 * n.Padding[1] < n.Span(1)) return false;
                    n.Shape = [c, h, w];
                    break;
            }
        }
        return true;
    }

    /// <summary>Runs the graph on a full batch: every node's activation, (B, C, H, W) each.</summary>
    public Tensor[] Run(Tensor input)
    {
        var values = new Tensor[Nodes.Count];
        foreach (var n in Nodes)
        {
            values[n.Id] = n.Kind switch
            {
                NodeKind.Input => input,
                NodeKind.Add => values[n.Inputs[0]] + values[n.Inputs[1]],
                NodeKind.Pointwise => ApplyPointwise(n, values[n.Inputs[0]], owned: false),
                _ => Windowed(n, Pad(n, values[n.Inputs[0]])),
            };
        }
        return values;
    }

    /// <summary>Applies the tail to the full output node.</summary>
    public Tensor RunTail(Tensor output)
    {
        var x = output;
        foreach (var f in Tail) x = f(x);
        return x;
    }

    /// <summary>
    /// A pointwise node applied to <paramref name="x"/>; unless <paramref name="owned"/>, an in-place module gets a copy
    /// so that the activation it reads stays intact.
    /// </summary>
    public Tensor ApplyPointwise(GraphNode n, Tensor x, bool owned)
    {
        if (n.Function is { } f) return f(x);
        if (!owned && InPlace(n.Module!)) x = x.clone();
        return n.Module!.call(x);
    }

    /// <summary>The value to pad a node's input with so that an unpadded operation sees the module's padding.</summary>
    public static double PadValue(GraphNode n) => n.Kind == NodeKind.MaxPool ? double.NegativeInfinity : 0.0;

    /// <summary>
    /// A convolution or pooling without padding on an input that already holds the padding. The input of a
    /// convolution is made contiguous first: libtorch 2.10's CPU convolution returned wrong values for a strided 1×1
    /// kernel on a channels-last view with more than one example (resnet18's downsample on a 3×3 map with two copies
    /// per pass: errors of 10% of the output).
    /// </summary>
    public static Tensor Windowed(GraphNode n, Tensor padded) => n.Kind switch
    {
        NodeKind.Conv => nn.functional.conv2d(padded.contiguous(), n.Conv!.weight!, n.Conv.bias, n.Stride, [0, 0], n.Dilation, n.Conv.groups),
        NodeKind.MaxPool => nn.functional.max_pool2d(padded, n.Kernel, n.Stride, [0, 0], n.Dilation, false),
        NodeKind.AvgPool => nn.functional.avg_pool2d(padded, n.Kernel, n.Stride, [0, 0], false, true, null),
        _ => throw new InvalidOperationException($"{n.Kind} is not windowed."),
    };

    internal static Tensor Pad(GraphNode n, Tensor x) =>
        n.Padding[0] == 0 && n.Padding[1] == 0
            ? x
            : nn.functional.pad(x, [n.Padding[1], n.Padding[1], n.Padding[0], n.Padding[0]], PaddingModes.Constant, PadValue(n));

    private static bool InPlace(nn.Module m) => m switch
    {
        ReLU r => r.inplace,
        LeakyReLU l => l.inplace,
        ReLU6 r6 => r6.inplace,
        ELU e => e.inplace,
        SELU s => s.inplace,
        CELU c => c.inplace,
        SiLU si => si.inplace,
        Hardtanh h => h.inplace,
        Hardswish hs => hs.inplace,
        Hardsigmoid hg => hg.inplace,
        Mish mi => mi.inplace,
        _ => false,
    };

    /// <summary>Collects nodes while the modules are understood, then the tail.</summary>
    private sealed class Builder
    {
        public List<GraphNode> Nodes { get; } = [new GraphNode { Id = 0, Kind = NodeKind.Input, Name = "input" }];
        public List<Func<Tensor, Tensor>> Tail { get; } = [];
        public int Current { get; private set; }
        private bool InTail => Tail.Count > 0;

        /// <summary>The first module of the tail, by type and name.</summary>
        public string? FirstTail { get; private set; }

        /// <summary>The first module of the tail that holds a convolution (work the incremental path cannot save), or null.</summary>
        public string? FirstTailConvolution { get; private set; }

        private void ToTail(nn.Module module)
        {
            FirstTail ??= Describe(module);
            NoteConvolutions(module);
            Tail.Add(Call(module));
        }

        private void NoteConvolutions(nn.Module module)
        {
            if (FirstTailConvolution is null && (module is Conv2d || module.modules().Any(m => m is Conv2d)))
                FirstTailConvolution = Describe(module);
        }

        private static string Describe(nn.Module m)
        {
            var type = m.GetType();
            string typeName = type.IsNested ? type.DeclaringType!.Name + "." + type.Name : type.Name;
            string name = m.GetName();
            return name == type.Name || string.IsNullOrEmpty(name) ? typeName : $"{typeName} '{name}'";
        }

        public void Item(nn.Module module)
        {
            if (InTail)
            {
                NoteConvolutions(module);
                Tail.Add(Call(module));
                return;
            }
            if (TorchVision(module)) return;
            switch (module)
            {
                case Sequential seq:
                    foreach (var (_, child) in seq.named_children()) Item(child);
                    return;
                case ExplainableResNet resnet:
                {
                    var c = Children(resnet);
                    foreach (var name in new[] { "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool" })
                        Item(c[name]);
                    Function(x => x.flatten(1));
                    Item(c["fc"]);
                    return;
                }
                case ExplainableVgg vgg:
                {
                    var c = Children(vgg);
                    Item(c["features"]);
                    Item(c["avgpool"]);
                    Function(x => x.flatten(1));
                    Item(c["classifier"]);
                    return;
                }
                case ExplainableBasicBlock or ExplainableBottleneck:
                {
                    bool bottleneck = module is ExplainableBottleneck;
                    var c = Children(module);
                    if (!Block(module, bottleneck
                            ? ["conv1", "bn1", "relu1", "conv2", "bn2", "relu2", "conv3", "bn3"]
                            : ["conv1", "bn1", "relu1", "conv2", "bn2"],
                            (sum, id) => Single(c[bottleneck ? "relu3" : "relu2"], sum)))
                        ToTail(module);
                    return;
                }
            }
            if (Single(module, Current) is { } node) Current = Add(node);
            else ToTail(module);
        }

        /// <summary>
        /// TorchSharp's TorchVision networks and blocks, recognised by type (their classes are not public): the
        /// children they have and the order their forwards apply them in (TorchVision 0.107). True when handled.
        /// </summary>
        private bool TorchVision(nn.Module module)
        {
            switch (module.GetType().FullName)
            {
                case "TorchSharp.Modules.ResNet":
                {
                    var c = Children(module);
                    if (!Has(c, "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "flatten", "fc")) return false;
                    foreach (var name in new[] { "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "flatten", "fc" })
                        Item(c[name]);
                    return true;
                }
                case "TorchSharp.Modules.ResNet+BasicBlock":
                case "TorchSharp.Modules.ResNet+Bottleneck":
                {
                    // forward: relu1(bn1(conv1(x))) [→ relu2(bn2(conv2)) → bn3(conv3)] , then x.add_(identity).relu_()
                    // with the ReLU applied functionally (no module for it).
                    bool bottleneck = module.GetType().Name == "Bottleneck";
                    string[] main = bottleneck
                        ? ["conv1", "bn1", "relu1", "conv2", "bn2", "relu2", "conv3", "bn3"]
                        : ["conv1", "bn1", "relu1", "conv2", "bn2"];
                    if (!Has(Children(module), main) || !Block(module, main, FunctionalRelu))
                        ToTail(module);
                    return true;
                }
                case "TorchSharp.Modules.VGG":
                case "TorchSharp.Modules.AlexNet":
                case "TorchSharp.Modules.MobileNetV3":
                {
                    // forward: classifier(flatten(avgpool(features(x)), 1))
                    var c = Children(module);
                    if (!Has(c, "features", "avgpool", "classifier")) return false;
                    Item(c["features"]);
                    Item(c["avgpool"]);
                    Function(x => x.flatten(1));
                    Item(c["classifier"]);
                    return true;
                }
                case "TorchSharp.Modules.MobileNetV2":
                {
                    // forward: classifier(flatten(adaptive_avg_pool2d(features(x), 1), 1))
                    var c = Children(module);
                    if (!Has(c, "features", "classifier")) return false;
                    Item(c["features"]);
                    Function(x => nn.functional.adaptive_avg_pool2d(x, [1, 1]));
                    Function(x => x.flatten(1));
                    Item(c["classifier"]);
                    return true;
                }
                case "TorchSharp.Modules.MobileNetV2+InvertedResidual":
                case "TorchSharp.Modules.MobileNetV3+InvertedResidual":
                {
                    // forward: use_res_connect ? x + body(x) : body(x), body a Sequential ("conv" in V2, "block" in V3).
                    var c = Children(module);
                    string body = c.ContainsKey("conv") ? "conv" : "block";
                    var residual = module.GetType().GetField("use_res_connect",
                        System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public);
                    if (!c.ContainsKey(body) || residual?.GetValue(module) is not bool useResidual || !Residual(c[body], useResidual))
                        ToTail(module);
                    return true;
                }
                default:
                    return ResidualBlockLike(module);
            }
        }

        /// <summary>
        /// A block of another assembly written as TorchVision's (a class named <c>BasicBlock</c> or <c>Bottleneck</c> with
        /// exactly TorchVision's children, e.g. a ResNet of another stage layout, which needs its own block class because
        /// TorchSharp's is not public): analysed as TorchVision's block, with the final ReLU applied functionally. Like every
        /// analysis this is checked against the model's own forward on the clean input before it is used.
        /// </summary>
        private bool ResidualBlockLike(nn.Module module)
        {
            string type = module.GetType().Name;
            if (type is not ("BasicBlock" or "Bottleneck")) return false;
            var names = Children(module).Keys.Where(k => k != "downsample").ToHashSet();
            string[] main = type == "Bottleneck"
                ? ["conv1", "bn1", "relu1", "conv2", "bn2", "relu2", "conv3", "bn3"]
                : ["conv1", "bn1", "relu1", "conv2", "bn2"];
            if (!names.SetEquals(main)) return false;
            if (!Block(module, main, FunctionalRelu)) ToTail(module);
            return true;
        }

        private GraphNode FunctionalRelu(int input, int id) => new()
        {
            Id = id, Kind = NodeKind.Pointwise, Name = "relu (functional)", Inputs = [input], Function = x => x.relu(),
        };

        private static bool Has(Dictionary<string, nn.Module> children, params string[] names) => names.All(children.ContainsKey);

        /// <summary>Known leaf modules, through nested Sequentials, appended after node <paramref name="x"/>.</summary>
        private bool Chain(nn.Module m, ref int x)
        {
            if (m is Sequential seq)
            {
                foreach (var (_, child) in seq.named_children())
                    if (!Chain(child, ref x)) return false;
                return true;
            }
            if (Single(m, x) is not { } n) return false;
            x = Add(n);
            return true;
        }

        /// <summary><paramref name="body"/>, plus the block's input when <paramref name="residual"/>, as one unit.</summary>
        private bool Residual(nn.Module body, bool residual)
        {
            int start = Current, count = Nodes.Count, x = start;
            if (!Chain(body, ref x)) return Rollback(count);
            if (residual)
            {
                if (x == start) return Rollback(count);
                x = Add(new GraphNode { Id = Nodes.Count, Kind = NodeKind.Add, Name = "add", Inputs = [x, start] });
            }
            Current = x;
            return true;
        }

        private void Function(Func<Tensor, Tensor> f)
        {
            FirstTail ??= "a functional step of the model's forward (pooling or flattening)";
            Tail.Add(f); // a function of the whole tensor (flatten) always ends the graph
        }

        /// <summary>
        /// A residual block: the <paramref name="main"/> children in order, the identity or the <c>downsample</c>
        /// child, their sum and the final activation <paramref name="last"/> (reading the sum node, given the next id).
        /// </summary>
        private bool Block(nn.Module block, string[] main, Func<int, int, GraphNode?> last)
        {
            var c = Children(block);
            int start = Current, count = Nodes.Count;
            int x = start;
            foreach (var name in main)
            {
                if (!c.TryGetValue(name, out var child) || Single(child, x) is not { } n) return Rollback(count);
                x = Add(n);
            }
            int identity = start;
            if (c.TryGetValue("downsample", out var ds))
            {
                var parts = ds is Sequential s ? s.named_children().Select(p => p.module).ToList() : [ds];
                foreach (var part in parts)
                {
                    if (Single(part, identity) is not { } n) return Rollback(count);
                    identity = Add(n);
                }
            }
            int sum = Add(new GraphNode { Id = Nodes.Count, Kind = NodeKind.Add, Name = "add", Inputs = [x, identity] });
            if (last(sum, Nodes.Count) is not { } activation) return Rollback(count);
            Current = Add(activation);
            return true;
        }

        private bool Rollback(int count)
        {
            Nodes.RemoveRange(count, Nodes.Count - count);
            return false;
        }

        private int Add(GraphNode node)
        {
            Nodes.Add(node);
            return node.Id;
        }

        /// <summary>A node for a known leaf module reading node <paramref name="input"/>, or null.</summary>
        private GraphNode? Single(nn.Module m, int input)
        {
            int id = Nodes.Count;
            string name = m.GetName();
            switch (m)
            {
                case Conv2d conv:
                    if (conv.transposed || conv.padding_mode != PaddingModes.Zeros || conv.weight is null) return null;
                    if (Padding(conv) is not { } pad) return null;
                    return new GraphNode
                    {
                        Id = id, Kind = NodeKind.Conv, Name = name, Inputs = [input], Conv = conv,
                        Kernel = [.. conv.kernel_size], Stride = [.. conv.stride], Padding = pad, Dilation = [.. conv.dilation],
                    };
                case MaxPool2d mp when !mp.ceil_mode:
                    return new GraphNode
                    {
                        Id = id, Kind = NodeKind.MaxPool, Name = name, Inputs = [input],
                        Kernel = Two(mp.kernel_size), Stride = Two(mp.stride ?? mp.kernel_size), Padding = Two(mp.padding ?? [0]),
                        Dilation = Two(mp.dilation ?? [1]),
                    };
                case AvgPool2d ap when !ap.ceil_mode && ap.divisor_override is null
                                       && (ap.count_include_pad || (ap.padding ?? [0]).All(p => p == 0)):
                    return new GraphNode
                    {
                        Id = id, Kind = NodeKind.AvgPool, Name = name, Inputs = [input],
                        Kernel = Two(ap.kernel_size), Stride = Two(ap.stride ?? ap.kernel_size), Padding = Two(ap.padding ?? [0]),
                    };
                case BatchNorm2d bn when !bn.training && bn.running_mean is not null && bn.running_var is not null:
                case ReLU or ReLU6 or LeakyReLU or ELU or SELU or CELU or GELU or SiLU or Mish or Sigmoid or Tanh or Hardtanh
                    or Hardswish or Hardsigmoid or Softplus or PReLU or Identity:
                case Dropout or Dropout2d when !m.training:
                    return new GraphNode { Id = id, Kind = NodeKind.Pointwise, Name = name, Inputs = [input], Module = (nn.Module<Tensor, Tensor>)m };
                default:
                    return null;
            }
        }

        private static long[]? Padding(Conv2d conv)
        {
            if (conv.padding is { } p) return p.Length == 1 ? [p[0], p[0]] : [.. p];
            if (conv.padding_type == TorchSharp.Padding.Valid) return [0, 0];
            if (conv.padding_type == TorchSharp.Padding.Same)
            {
                var pad = new long[2];
                for (int d = 0; d < 2; d++)
                {
                    long total = conv.dilation[d] * (conv.kernel_size[d] - 1);
                    if (total % 2 != 0) return null; // asymmetric 'same' padding
                    pad[d] = total / 2;
                }
                return pad;
            }
            return null;
        }

        private static long[] Two(long[] v) => v.Length == 1 ? [v[0], v[0]] : [.. v];

        private static Dictionary<string, nn.Module> Children(nn.Module m) =>
            m.named_children().ToDictionary(c => c.name, c => c.module);

        /// <summary>Set when a module of the tail does not take one tensor (then the graph is not used).</summary>
        public bool Failed { get; private set; }

        private Func<Tensor, Tensor> Call(nn.Module m)
        {
            if (m is nn.Module<Tensor, Tensor> unary) return x => unary.call(x);
            Failed = true;
            FirstTail ??= Describe(m);
            return x => x;
        }
    }
}
