using TorchSharp;
using TorchSharp.Modules;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Layers;

/// <summary>
/// Generated handles for <see cref="LayerTestModels.MlpWithSpy"/> (fc1 → relu1 → spy → fc2). A Sequential's children
/// exist only at run time, so the compiler cannot check these paths (no FA1004): "fc3" is a typo the runtime catches.
/// </summary>
[Explainable(typeof(Sequential))]
[Layer("fc1", "Fc1", 5, ModuleType = typeof(Linear))]
[Layer("fc2", "Fc2", 3, ModuleType = typeof(Linear))]
[Layer("fc3", "Fc3", 3, ModuleType = typeof(Linear))]
public static partial class MlpLayers { }

/// <summary>Paths are resolved (and a wrong one reported) when the layer step is built, not when it runs.</summary>
public class LayerResolutionTests
{
    [Fact]
    public void A_wrong_path_fails_when_the_layer_step_is_built_listing_the_nearest_paths()
    {
        using var scope = NewDisposeScope();
        var (model, spy) = LayerTestModels.MlpWithSpy();
        var failures = new Func<object>[]
        {
            () => Explain(model).At(MlpLayers.Fc3),
            () => Explain(model).For(0).At(MlpLayers.Fc3),
            () => Explain(model).AtInputOf(MlpLayers.Fc3),
            () => Explain(model).At(MlpLayers.Fc1, MlpLayers.Fc3),
        };
        foreach (var failure in failures)
        {
            var e = Assert.Throws<ArgumentException>(failure);
            Assert.Contains("no layer at path 'fc3'", e.Message);
            Assert.Contains("nearest existing paths: 'fc1', 'fc2'", e.Message);
        }
        Assert.Equal(0, spy.Calls);
        Assert.Equal(0, HookCounter.Count(model));
    }

    [Fact]
    public void A_wrapper_is_validated_against_a_model_in_one_call_before_any_input_exists()
    {
        using var scope = NewDisposeScope();
        var (model, spy) = LayerTestModels.MlpWithSpy();
        var e = Assert.Throws<ArgumentException>(() => Explain(model).At([.. MlpLayers.All]));
        Assert.Contains("'fc3'", e.Message);
        var valid = Explain(model).At(MlpLayers.Fc1, MlpLayers.Fc2);
        Assert.Equal([MlpLayers.Fc1, MlpLayers.Fc2], valid.Layers);
        Assert.Equal(0, spy.Calls);
    }

    [Fact]
    public void A_handle_whose_module_type_differs_fails_when_the_layer_step_is_built()
    {
        using var scope = NewDisposeScope();
        var (model, _) = LayerTestModels.MlpWithSpy();
        var relu = new Layer<Linear, Rank1>("relu1", "Relu1", [5]);
        var e = Assert.Throws<ArgumentException>(() => Explain(model).At(relu));
        Assert.Contains("is a ReLU in this model, but its handle expects a Linear", e.Message);
    }

    [Fact]
    public void A_path_is_resolved_once_when_the_layer_step_is_built_not_per_forward_pass()
    {
        using var scope = NewDisposeScope();
        var model = new Listing();
        int start = model.Listed;
        var x = rand(2, 4);

        var step = Explain(model).For(1).At("body.fc");
        Assert.Equal(1, model.Listed - start);
        using (step.With(LayerGradientXActivation.Default).Attribute(x)) { }
        using (step.With(LayerConductance.Steps(4)).Attribute(x)) { }
        using (step.Neuron(0).With(NeuronConductance.Steps(4)).Attribute(x)) { }
        Assert.Equal(1, model.Listed - start);
    }

    [Fact]
    public void A_replaced_child_is_found_by_the_next_layer_step()
    {
        using var scope = NewDisposeScope();
        var model = new Listing();
        var x = rand(2, 4);
        using (var before = Explain(model).At("head").With(LayerActivation.Default).Attribute(x))
            Assert.Equal([2L, 3], before.Value.shape);
        model.ReplaceHead(5);
        using var after = Explain(model).At("head").With(LayerActivation.Default).Attribute(x);
        Assert.Equal([2L, 5], after.Value.shape);
    }

    /// <summary>A model that counts how often its children are listed (path resolution walks <c>named_children</c>).</summary>
    private sealed class Listing : nn.Module<Tensor, Tensor>
    {
        private readonly Sequential body = nn.Sequential(("fc", nn.Linear(4, 3)), ("relu", nn.ReLU()));
        private Linear head = nn.Linear(3, 3);

        public Listing() : base(nameof(Listing)) => RegisterComponents();

        public int Listed { get; private set; }

        /// <summary>Swaps the head for a new Linear(3, <paramref name="outputs"/>), registered under the same name.</summary>
        public void ReplaceHead(int outputs)
        {
            head = nn.Linear(3, outputs);
            register_module("head", null!);
            register_module("head", head);
        }

        public override IEnumerable<(string name, nn.Module module)> named_children()
        {
            Listed++;
            return base.named_children();
        }

        public override Tensor forward(Tensor input) => head.call(body.call(input));
    }
}
