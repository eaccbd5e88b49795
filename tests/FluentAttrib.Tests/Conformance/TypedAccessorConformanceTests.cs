using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Conformance;

/// <summary>
/// The cnn_a model of the reference cases written as an [Explainable] module: this project runs the generator in its
/// own build, so <c>CnnA.Layers.*</c> are generated accessors. Fields are named as the cases' layers, so the cases'
/// parameters load by name. Shapes are for the cases' (B, 1, 8, 8) inputs.
/// </summary>
[Explainable]
public sealed partial class CnnA : nn.Module<Tensor, Tensor>
{
    [AttributionLayer(4, 8, 8)] private readonly Conv2d conv1 = nn.Conv2d(1, 4, 3, padding: 1);
    private readonly ReLU relu1 = nn.ReLU();
    private readonly MaxPool2d pool1 = nn.MaxPool2d(2, 2);
    [AttributionLayer(6, 2, 2)] private readonly Conv2d conv2 = nn.Conv2d(4, 6, 3);
    [AttributionLayer] private readonly ReLU relu2 = nn.ReLU();
    private readonly AdaptiveAvgPool2d gap = nn.AdaptiveAvgPool2d(1);
    private readonly Flatten flatten = nn.Flatten();
    [AttributionLayer(3, Name = "Logits")] private readonly Linear fc = nn.Linear(6, 3);

    public CnnA() : base(nameof(CnnA)) => RegisterComponents();

    public override Tensor forward(Tensor input)
    {
        var x = pool1.call(relu1.call(conv1.call(input)));
        x = gap.call(relu2.call(conv2.call(x)));
        return fc.call(flatten.call(x));
    }
}

/// <summary>
/// Reference cases run through the generated accessors give exactly what the path-based form gives (the conformance
/// runners, on the model built from the case's JSON), and so match Captum.
/// </summary>
public class TypedAccessorConformanceTests
{
    private static readonly string[] Architecture = ["conv1", "relu1", "pool1", "conv2", "relu2", "gap", "flatten", "fc"];

    [Fact]
    public void Generated_accessors_name_the_annotated_fields()
    {
        Layer<Conv2d, Rank3> conv2 = CnnA.Layers.Conv2;
        Layer<Linear, Rank1> logits = CnnA.Layers.Logits;
        Layer<ReLU> relu2 = CnnA.Layers.Relu2;
        Assert.Equal(("conv2", "Conv2"), (conv2.Path, conv2.Name));
        Assert.Equal([6L, 2, 2], conv2.Shape!.Value.ToArray());
        Assert.Equal("fc", logits.Path);
        Assert.Null(relu2.Shape);
        Assert.Equal(["conv1", "conv2", "relu2", "fc"], CnnA.Layers.All.Select(l => l.Path));
    }

    [Fact]
    public void LayerGradCam_at_conv2() => Check("lgc_cnn_a_conv2", (c, model) =>
        Explain(model).For(c.Target()).At(CnnA.Layers.Conv2).With(LayerGradCam.Default).Attribute(c.Inputs()));

    [Fact]
    public void LayerGradCam_at_the_input_of_relu2() => Check("lgc_cnn_a_relu2_input", (c, model) =>
        Explain(model).For(c.Target()).AtInputOf(CnnA.Layers.Relu2).With(LayerGradCam.Default).Attribute(c.Inputs()));

    [Fact]
    public void LayerActivation_at_conv2() => Check("la_cnn_a_conv2", (c, model) =>
        Explain(model).At(CnnA.Layers.Conv2).With(LayerActivation.Default).Attribute(c.Inputs()));

    [Fact]
    public void LayerConductance_at_conv2() => Check("lc_cnn_a_conv2_left10_ibs6", (c, model) =>
        Explain(model).At(CnnA.Layers.Conv2).For(0)
            .With(LayerConductance.Steps(10).Quadrature(Quadrature.RiemannLeft).InternalBatchSize(6))
            .Attribute(c.Inputs()));

    [Fact]
    public void NeuronGradient_of_a_slice_of_conv1() => Check("ng_cnn_a_conv1_slice", (c, model) =>
        Explain(model).At(CnnA.Layers.Conv1).Neuron(0..2, 4, 4).With(NeuronGradient.Default).Attribute(c.Inputs()));

    [Fact]
    public void NeuronIntegratedGradients_of_a_neuron_of_conv2() => Check("nig_cnn_a_conv2_trap12", (c, model) =>
        Explain(model).At(CnnA.Layers.Conv2).Neuron(1, 1, 0)
            .With(NeuronIntegratedGradients.Steps(12).Quadrature(Quadrature.RiemannTrapezoid).Baseline(c.Baselines()!))
            .Attribute(c.Inputs()));

    [Fact]
    public void NeuronConductance_of_a_neuron_of_conv2() => Check("nc_cnn_a_conv2_gl16", (c, model) =>
        Explain(model).At(CnnA.Layers.Conv2).Neuron(0, 1, 1).For(2)
            .With(NeuronConductance.Steps(16).Quadrature(Quadrature.GaussLegendre))
            .Attribute(c.Inputs()));

    /// <summary>
    /// Runs <paramref name="typed"/> on a <see cref="CnnA"/> loaded with the case's parameters, and the case's runner
    /// (path-based, on the model built from the JSON); the results must be identical and match Captum.
    /// </summary>
    private static void Check(string id, Func<CaseFile, CnnA, Attribution> typed)
    {
        var c = CaseFile.Load(id);
        var spec = c.Root.GetProperty("model");
        Assert.Equal("cnn_a", spec.GetProperty("id").GetString());
        Assert.Equal(Architecture, spec.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("name").GetString()));
        using var scope = NewDisposeScope();
        var model = ModelBuilder.LoadParameters(new CnnA(), spec);
        using var result = typed(c, model);
        var pathBased = Runners.Find(c.Algorithm)!(c, ModelBuilder.Build(spec));

        Assert.Equal(pathBased.Values.Length, result.Values.Count);
        for (int i = 0; i < result.Values.Count; i++)
        {
            Assert.Equal(pathBased.Values[i].shape, result.Values[i].shape);
            Assert.True(pathBased.Values[i].eq(result.Values[i]).all().item<bool>(),
                $"{id}: the typed result differs from the path-based one by {(pathBased.Values[i] - result.Values[i]).abs().max().item<double>():R}");
        }
        var want = CaseFile.TensorsOf(c.Expected.GetProperty("attributions"));
        for (int i = 0; i < want.Length; i++) CaptumConformanceTests.AssertClose(want[i], result.Values[i], c, $"attributions[{i}]");
    }
}
