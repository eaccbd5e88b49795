using FluentAttrib.Core;
using FluentAttrib.Core.Metrics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Model-parameter randomisation test (Adebayo et al., 2018; Quantus's <c>MPRT</c>): the parametrised layers are
/// re-initialised, cascading from the output backwards (or each alone, <c>Cascade(false)</c>), the run's method
/// explains the input with each randomised model, and the score is the similarity (Spearman by default) between the
/// original attribution and each randomised one: a Float64 tensor (B, layers), column k for the k-th randomisation
/// (cascading: the last k + 1 layers randomised; independent: layer k alone, in model order). A method that passes the
/// sanity check loses similarity as layers are randomised: values near 0 are better.
/// </summary>
/// <remarks>
/// The user's model is never changed: each randomised layer is a forward hook that recomputes the layer's output with
/// freshly initialised parameters (PyTorch's default initialisation: Linear and Conv weights and biases uniform in
/// ±1/√fan_in; BatchNorm and LayerNorm reset to weight 1, bias 0, running mean 0, variance 1), removed afterwards.
/// Supported layers: Linear, Conv1d, Conv2d (zero padding), BatchNorm1d, BatchNorm2d, LayerNorm; another layer with
/// parameters is refused. Draws use <c>Seed</c> + 1 for each layer, as Quantus seeds torch. Cost: one attribution of
/// the batch per layer.
/// </remarks>
public sealed record ModelParameterRandomisation : ExplanationMetric, IAttributionPreprocessingSetting, ISimilaritySetting, ISeedSetting
{
    private ModelParameterRandomisation(SettingValues values) : base(values) { }

    /// <summary>Quantus's defaults: cascading from the output, Spearman, seed 42, normalized by the batch maximum, absolute values.</summary>
    public static ModelParameterRandomisation Default { get; } = new(new SettingValues
    {
        Normalization = AttributionNormalization.MaxOfBatch, Absolute = true, Similarity = FluentAttrib.Similarity.Spearman, Seed = Defaults.RandomisationSeed, Cascade = true,
    });

    /// <summary>The metric's settings, read back by name.</summary>
    public MethodSettings<ModelParameterRandomisation> Settings => new(Values);

    /// <summary>Randomises layers cumulatively from the output backwards (true, Quantus's <c>"top_down"</c>) or each alone (false, <c>"independent"</c>).</summary>
    public ModelParameterRandomisation Cascade(bool cascade = true) => this with { Values = Values with { Cascade = cascade } };

    /// <summary>
    /// Explains only with the fully randomised model (every layer at once), one column: the end point of the cascade
    /// for the cost of one attribution (Quantus's <c>return_last_correlation</c>, without the intermediate steps).
    /// </summary>
    public ModelParameterRandomisation LastOnly(bool last = true) => this with { Values = Values with { LastOnly = last } };

    /// <inheritdoc />
    public override string Describe() =>
        $"ModelParameterRandomisation({(Values.LastOnly ? "every layer at once" : Values.Cascade ? "cascading" : "independent")}, {Values.Similarity})";

    /// <summary>The parametrised leaf layers of <paramref name="model"/> in the order the metric's columns use.</summary>
    public static IReadOnlyList<string> Layers(nn.Module model, bool cascade = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        var layers = ParametrisedLayers(model).Select(l => l.Name).ToList();
        if (cascade) layers.Reverse();
        return layers;
    }

    internal override bool HigherIsBetter => false;

    internal override double Summarise(double[] curve) => Math.Abs(curve[^1]);

    internal override bool AlwaysCurve => true;

    internal override Tensor Evaluate(MetricRequest request)
    {
        var v = Values;
        var module = request.Context.Forward.Module
            ?? throw new ArgumentException($"{Name} randomises the model's layers: explain a module, not a function.", "model");
        var layers = ParametrisedLayers(module);
        if (layers.Count == 0) throw new ArgumentException($"{Name}: the model has no layer with parameters to randomise.", "model");
        foreach (var (name, layer) in layers) Check(name, layer);
        if (v.Cascade) layers.Reverse();
        var a = MetricMath.Preprocess(request.Attribution, v.Normalization, v.Absolute);
        int batch = a.Length;
        var result = new double[batch * layers.Count];
        var active = new List<Action>();
        var ctx = request.Context;
        try
        {
            if (v.LastOnly)
            {
                foreach (var (_, layer) in layers) active.Add(Randomise(layer, (v.Seed ?? Defaults.RandomisationSeed) + 1));
                var e = Reexplanation.Explain(request, request.Input, ctx.Target, v);
                var last = new double[batch];
                for (int b = 0; b < batch; b++) last[b] = MetricMath.Compare(v.Similarity, a[b], e[b]);
                ctx.Report(Name, 1, 1);
                return tensor(last, dtype: ScalarType.Float64).reshape(batch, 1).to(request.Input.device);
            }
            for (int k = 0; k < layers.Count; k++)
            {
                ctx.ThrowIfCancelled();
                if (!v.Cascade) { foreach (var remove in active) remove(); active.Clear(); }
                active.Add(Randomise(layers[k].Layer, (v.Seed ?? Defaults.RandomisationSeed) + 1));
                var e = Reexplanation.Explain(request, request.Input, ctx.Target, v);
                for (int b = 0; b < batch; b++) result[b * layers.Count + k] = MetricMath.Compare(v.Similarity, a[b], e[b]);
                ctx.Report(Name, k + 1, layers.Count);
            }
        }
        finally
        {
            foreach (var remove in active) remove();
        }
        return tensor(result, dtype: ScalarType.Float64).reshape(batch, layers.Count).to(request.Input.device);
    }

    private static List<(string Name, nn.Module Layer)> ParametrisedLayers(nn.Module model)
    {
        var list = new List<(string, nn.Module)>();
        void Walk(string prefix, nn.Module m)
        {
            var children = m.named_children().ToArray();
            if (children.Length == 0)
            {
                if (m.parameters(recurse: false).Any()) list.Add((prefix, m));
                return;
            }
            foreach (var (name, child) in children) Walk(prefix.Length == 0 ? name : prefix + "." + name, child);
        }
        Walk("", model);
        return list;
    }

    private static void Check(string name, nn.Module layer)
    {
        switch (layer)
        {
            case Linear or BatchNorm1d or BatchNorm2d or LayerNorm:
                return;
            case Conv1d conv1 when conv1.padding is not null && conv1.padding_mode == PaddingModes.Zeros:
                return;
            case Conv2d conv when conv.padding_mode == PaddingModes.Zeros:
                return;
            default:
                throw new ArgumentException(
                    $"ModelParameterRandomisation cannot randomise layer '{name}' of type {layer.GetType().Name}; supported: Linear, Conv1d and Conv2d (explicit zero padding), BatchNorm1d, BatchNorm2d, LayerNorm.", "model");
        }
    }

    /// <summary>Hooks <paramref name="layer"/> so that it computes with freshly initialised parameters; returns the remover.</summary>
    private static Action Randomise(nn.Module layer, long seed)
    {
        var owned = new List<Tensor>();
        Tensor Uniform(Tensor like, long fanIn, Generator g)
        {
            double bound = 1 / Math.Sqrt(fanIn);
            var t = empty_like(like).uniform_(-bound, bound, g).detach().DetachFromDisposeScope();
            owned.Add(t);
            return t;
        }
        Action remove;
        using (var g = new Generator(unchecked((ulong)seed), layer.parameters().First().device))
        using (no_grad())
        {
            switch (layer)
            {
                case Linear linear:
                {
                    var w = Uniform(linear.weight!, linear.weight!.shape[1], g);
                    var b = linear.bias is { } lb ? Uniform(lb, linear.weight!.shape[1], g) : null;
                    remove = ModuleHooks.AddPost(linear, (_, x, _) => nn.functional.linear(x, w, b));
                    break;
                }
                case Conv2d conv:
                {
                    long fanIn = conv.weight!.shape.Skip(1).Aggregate(1L, (p, q) => p * q);
                    var w = Uniform(conv.weight!, fanIn, g);
                    var b = conv.bias is { } cb ? Uniform(cb, fanIn, g) : null;
                    remove = ModuleHooks.AddPost(conv, (_, x, _) => nn.functional.conv2d(x, w, b, conv.stride, conv.padding, conv.dilation, conv.groups));
                    break;
                }
                case Conv1d conv:
                {
                    long fanIn = conv.weight!.shape.Skip(1).Aggregate(1L, (p, q) => p * q);
                    var w = Uniform(conv.weight!, fanIn, g);
                    var b = conv.bias is { } cb ? Uniform(cb, fanIn, g) : null;
                    remove = ModuleHooks.AddPost(conv, (_, x, _) => nn.functional.conv1d(x, w, b, conv.stride[0], conv.padding![0], conv.dilation[0], conv.groups));
                    break;
                }
                case BatchNorm1d bn:
                    remove = ModuleHooks.AddPost(bn, (_, x, _) => x / Math.Sqrt(1 + bn.eps));
                    break;
                case BatchNorm2d bn:
                    remove = ModuleHooks.AddPost(bn, (_, x, _) => x / Math.Sqrt(1 + bn.eps));
                    break;
                case LayerNorm ln:
                    remove = ModuleHooks.AddPost(ln, (_, x, _) => nn.functional.layer_norm(x, ln.normalized_shape, null, null, ln.eps));
                    break;
                default:
                    throw new InvalidOperationException("unchecked layer type");
            }
        }
        return () =>
        {
            remove();
            foreach (var t in owned) t.Dispose();
        };
    }
}

public static partial class MethodSettingReadBack
{
    extension(MethodSettings<ModelParameterRandomisation> settings)
    {
        /// <summary>Whether layers are randomised cumulatively from the output backwards.</summary>
        public bool Cascade => settings.Values.Cascade;

        /// <summary>Whether only the fully randomised model is explained.</summary>
        public bool LastOnly => settings.Values.LastOnly;
    }
}
