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

/// <summary>Paths are resolved (and a wrong one reported) when the layer step is built, once per model and path.</summary>
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
    public void Paths_are_walked_once_per_model_and_path()
    {
        using var scope = NewDisposeScope();
        var model = new Listing();
        var other = new Listing();
        int modelStart = model.Listed, otherStart = other.Listed;
        int Walks(Listing m) => m.Listed - (m == model ? modelStart : otherStart);
        var x = rand(2, 4);

        Explain(model).At("body.fc");
        Assert.Equal(1, Walks(model));
        using (Explain(model).For(1).At("body.fc").With(LayerGradientXActivation.Default).Attribute(x)) { }
        Explain(model).AtInputOf("body.fc");
        Assert.Equal(1, Walks(model));                 // the same path: from the cache

        Explain(model).At("body");
        Assert.Equal(2, Walks(model));                 // another path: walked once
        Explain(model).At("body");
        Assert.Equal(2, Walks(model));

        Explain(other).At("body.fc");
        Assert.Equal(1, Walks(other));                 // another model: its own walk
        Assert.Equal(2, Walks(model));

        Assert.Throws<ArgumentException>(() => Explain(model).At("body.fx"));
        int afterFailure = Walks(model);
        Assert.Throws<ArgumentException>(() => Explain(model).At("body.fx"));
        Assert.True(Walks(model) > afterFailure);     // failures are not cached
    }

    /// <summary>A model that counts how often its children are listed (path resolution walks <c>named_children</c>).</summary>
    private sealed class Listing : nn.Module<Tensor, Tensor>
    {
        private readonly Sequential body = nn.Sequential(("fc", nn.Linear(4, 3)), ("relu", nn.ReLU()));

        public Listing() : base(nameof(Listing)) => RegisterComponents();

        public int Listed { get; private set; }

        public override IEnumerable<(string name, nn.Module module)> named_children()
        {
            Listed++;
            return base.named_children();
        }

        public override Tensor forward(Tensor input) => body.call(input);
    }
}
