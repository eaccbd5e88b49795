using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FluentAttrib.Tests.Conformance;

/// <summary>Builds the models of the reference cases from their spec (SCHEMA.md §3) and loads their parameters strictly.</summary>
public static class ModelBuilder
{
    /// <summary>A built model: the module and how to call it on the case's inputs.</summary>
    public sealed record Built(Module Module, Explainer Explainer, Func<Tensor[], Tensor> Forward);

    public static Built Build(JsonElement spec)
    {
        string kind = spec.GetProperty("kind").GetString()!;
        Module module;
        Explainer explainer;
        Func<Tensor[], Tensor> forward;
        if (kind == "sequential")
        {
            var seq = Sequential(spec.GetProperty("layers"));
            module = seq;
            explainer = Fluent.Explain(seq);
            forward = a => seq.call(a[0]);
        }
        else if (kind == "two_branch")
        {
            var branches = spec.GetProperty("branches").EnumerateArray().ToArray();
            var head = spec.GetProperty("head");
            var two = new TwoBranch(Sequential(branches[0].GetProperty("layers")), Sequential(branches[1].GetProperty("layers")),
                Sequential(head.GetProperty("layers")), spec.GetProperty("concat_dim").GetInt64());
            module = two;
            explainer = Fluent.Explain(two);
            forward = a => two.call(a[0], a[1]);
        }
        else throw new NotSupportedException("model kind " + kind);

        LoadParameters(module, spec);
        return new Built(module, explainer, forward);
    }

    /// <summary>
    /// Loads the spec's parameters into <paramref name="module"/> (converted to float64; every parameter name must
    /// match) and sets eval mode. For models written in C# with the spec's architecture, e.g. an [Explainable] class.
    /// </summary>
    public static T LoadParameters<T>(T module, JsonElement spec) where T : Module
    {
        module.to(ScalarType.Float64);
        var state = new Dictionary<string, Tensor>();
        foreach (var p in spec.GetProperty("parameters").EnumerateObject()) state[p.Name] = CaseFile.TensorOf(p.Value);
        var (missing, unexpected) = module.load_state_dict(state, strict: true);
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new InvalidOperationException($"state dict mismatch: missing {string.Join(",", missing)}; unexpected {string.Join(",", unexpected)}");
        module.eval();
        return module;
    }

    private static Sequential Sequential(JsonElement layers)
    {
        var list = layers.EnumerateArray().Select(l => (l.GetProperty("name").GetString()!, Layer(l))).ToArray();
        return nn.Sequential(list);
    }

    private static Module<Tensor, Tensor> Layer(JsonElement l)
    {
        string type = l.GetProperty("type").GetString()!;
        long I(string k) => l.GetProperty(k).GetInt64();
        bool B(string k, bool d = true) => l.TryGetProperty(k, out var v) ? v.GetBoolean() : d;
        return type switch
        {
            "Linear" => Linear(I("in"), I("out"), hasBias: B("bias")),
            "Conv2d" => Conv2d(I("in"), I("out"), I("kernel"), stride: I("stride"), padding: I("padding"), bias: B("bias")),
            "ReLU" => ReLU(),
            "Sigmoid" => Sigmoid(),
            "Tanh" => Tanh(),
            "Softmax" => Softmax(I("dim")),
            "MaxPool2d" => MaxPool2d(I("kernel"), I("stride")),
            "AvgPool2d" => AvgPool2d(I("kernel"), I("stride")),
            "AdaptiveAvgPool2d" => AdaptiveAvgPool2d(I("out")),
            "BatchNorm2d" => BatchNorm2d(I("num")),
            "Flatten" => Flatten(),
            "Embedding" => Embedding(I("num"), I("dim")),
            "MeanOverDim" => new MeanOverDim(I("dim")),
            _ => throw new NotSupportedException("layer type " + type),
        };
    }

    /// <summary>x.mean(dim), as the text models use.</summary>
    public sealed class MeanOverDim : Module<Tensor, Tensor>
    {
        private readonly long _dim;
        public MeanOverDim(long dim) : base(nameof(MeanOverDim)) => _dim = dim;
        public override Tensor forward(Tensor input) => input.mean([_dim]);
    }

    /// <summary>head(cat([a(x_a), b(x_b)], concat_dim)).</summary>
    public sealed class TwoBranch : Module<Tensor, Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> a;
        private readonly Module<Tensor, Tensor> b;
        private readonly Module<Tensor, Tensor> head;
        private readonly long _dim;

        public TwoBranch(Module<Tensor, Tensor> a, Module<Tensor, Tensor> b, Module<Tensor, Tensor> head, long dim) : base(nameof(TwoBranch))
        {
            this.a = a;
            this.b = b;
            this.head = head;
            _dim = dim;
            RegisterComponents();
        }

        public override Tensor forward(Tensor xa, Tensor xb) => head.call(cat([a.call(xa), b.call(xb)], _dim));
    }
}
