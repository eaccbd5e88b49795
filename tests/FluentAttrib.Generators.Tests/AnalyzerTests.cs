namespace FluentAttrib.Generators.Tests;

/// <summary>Each diagnostic ID at its exact location (markup <c>{|ID:text|}</c>, see <see cref="AnalyzerHarness"/>).</summary>
public class AnalyzerTests
{
    /// <summary>
    /// Annotated models the neuron tests call through the real fluent API (<c>Explain(model).At(handle).Neuron(…)</c>),
    /// compiled against the real FluentAttrib assembly.
    /// </summary>
    private const string Net = """
        namespace Demo
        {
            [Explainable]
            public partial class Net : nn.Module<Tensor, Tensor>
            {
                [AttributionLayer] private readonly Conv2d conv1 = null!;
                [AttributionLayer(12, 11, 11)] private readonly Conv2d conv2 = null!;
                [AttributionLayer(32, Name = "Hidden")] private readonly Linear fc1 = null!;
                [AttributionLayer(4, 8)] private readonly Linear tokens = null!;
                public Net() : base("Net") { }
                public override Tensor forward(Tensor x) => x;
            }

            [Explainable(typeof(ResNet))]
            [Layer("layer4", "Layer4", 512, 7, 7, ModuleType = typeof(Sequential))]
            [Layer("layer4.1.conv2", "Layer4Conv2", ModuleType = typeof(Conv2d))]
            public static partial class ResNet18Layers { }
        }
        """;

    [Fact]
    public void Clean_annotations_have_no_diagnostics()
    {
        AnalyzerHarness.VerifyAgainstRuntime("""
            using Demo;
            using static FluentAttrib.Fluent;

            namespace Demo.Clean
            {
                [Explainable(typeof(ResNet))]
                [Layer("layer4", "Layer4", 512, 7, 7)]
                [Layer("layer4.1.conv2", "Layer4Conv2", ModuleType = typeof(Conv2d))]
                [Layer("conv1", "Conv1")]
                [Layer("fc", "Fc", 1000, ModuleType = typeof(Linear))]
                public static partial class ResNet18Layers { }
            }

            static class Use
            {
                static void Run(Net net, ResNet resnet, long i)
                {
                    Explain(net).At(Net.Layers.Conv2).Neuron(11, 10, -11);
                    Explain(net).At(Net.Layers.Conv2).For(3).Neuron(^1, ^11, 0);
                    Explain(net).At(Net.Layers.Conv2).Neuron(0..2, .., 10..20);          // slices clamp, as in Python
                    Explain(net).At(Net.Layers.Conv2).Neuron(^2.., 1..^1, NeuronAxis.Slice(null, 12, 5));
                    Explain(net).At(Net.Layers.Conv2).Neuron(i, i + 1, 12 - i);          // not constant
                    Explain(net).At(Net.Layers.Conv2).Neuron(v => v[.., 0, 1, 1]);       // a selector function
                    Explain(net).At(Net.Layers.Conv2).Untyped.Neuron(new NeuronAxis[] { 11, 10, 10 });
                    Explain(net).AtInputOf(Net.Layers.Conv2).Neuron(5, 20, 20);          // the input's shape is not declared
                    Explain(net).At(Net.Layers.Conv1).Neuron(100, 100, 100);             // no declared shape
                    Explain(net).At(Net.Layers.Hidden).Neuron(31);
                    Explain(net).At(Net.Layers.Tokens).Neuron(3, NeuronAxis.At(-8));
                    Explain(resnet).For(208).At(ResNet18Layers.Layer4).Neuron(511, 6, 0);
                    Explain(resnet).At(Demo.Clean.ResNet18Layers.Fc).Neuron(999);
                    Explain(resnet).At(ResNet18Layers.Layer4Conv2).Neuron(9999, 0);      // no declared shape
                }
            }
            """, Net);
    }

    [Fact]
    public void FA1001_type_not_partial()
    {
        AnalyzerHarness.Verify("""
            [Explainable]
            public class {|FA1001:Net|} : nn.Module<Tensor, Tensor>
            {
                [AttributionLayer(3)] private readonly Linear fc = null!;
                public Net() : base("Net") { }
                public override Tensor forward(Tensor x) => x;
            }

            public static class {|FA1001:Outer|}
            {
                [Explainable(typeof(ResNet))]
                [Layer("fc", "Fc")]
                public static partial class Inner { }
            }
            """);
    }

    [Fact]
    public void FA1002_not_a_module()
    {
        AnalyzerHarness.Verify("""
            [Explainable]
            public partial class Net : nn.Module<Tensor, Tensor>
            {
                [AttributionLayer(3)] private readonly int {|FA1002:count|};
                public Net() : base("Net") { }
                public override Tensor forward(Tensor x) => x;
            }

            [Explainable({|FA1002:typeof(string)|})]
            public static partial class Wrapper { }

            [Explainable(typeof(ResNet))]
            [Layer("fc", "Fc", {|FA1002:ModuleType = typeof(string)|})]
            public static partial class ResNetLayers { }

            [{|FA1002:Explainable|}]
            public partial class NotAModule { }
            """);
    }

    [Fact]
    public void FA1003_duplicate_accessor_names()
    {
        AnalyzerHarness.Verify("""
            [Explainable]
            public partial class Net : nn.Module<Tensor, Tensor>
            {
                [AttributionLayer(3)] private readonly Linear fc = null!;
                [AttributionLayer(3, {|FA1003:Name = "Fc"|})] private readonly Linear other = null!;
                [AttributionLayer] private readonly Linear {|FA1003:all|} = null!;
                [AttributionLayer] private readonly Linear {|FA1003:layers|} = null!;
                public Net() : base("Net") { }
                public override Tensor forward(Tensor x) => x;
            }

            [Explainable(typeof(ResNet))]
            [Layer("layer3", "Deep")]
            [Layer("layer4", {|FA1003:"Deep"|})]
            [Layer("fc", {|FA1003:"Helper"|})]
            [Layer("conv1", {|FA1003:"ResNetLayers"|})]
            public static partial class ResNetLayers
            {
                public static int Helper => 1;
            }
            """);
    }

    [Fact]
    public void FA1004_path_not_found_through_fields()
    {
        AnalyzerHarness.Verify("""
            public class Head : nn.Module<Tensor, Tensor>
            {
                private readonly Linear fc1 = null!;
                [TorchSharp.Utils.ComponentName(Name = "out")] private readonly Linear fc2 = null!;
                public Head() : base("Head") { }
                public override Tensor forward(Tensor x) => x;
            }

            [Explainable]
            [Layer("head.fc1", "HeadFc1")]
            [Layer("head.out", "HeadOut")]
            [Layer({|FA1004:"head.fc2"|}, "HeadFc2")]
            [Layer({|FA1004:"body.fc1"|}, "BodyFc1")]
            [Layer({|FA1004:"head.fc1.weight"|}, "HeadFc1Weight")]
            [Layer("blocks.7.conv", "Block7")]
            [Layer("any.thing", "Any")]
            public partial class Net : nn.Module<Tensor, Tensor>
            {
                private readonly Head head = new();
                private readonly Sequential blocks = null!;
                private readonly nn.Module<Tensor, Tensor> any = null!;
                public Net() : base("Net") { }
                public override Tensor forward(Tensor x) => x;
            }

            [Explainable(typeof(ResNet))]
            [Layer("layer4.1.conv2", "Layer4Conv2")]
            [Layer({|FA1004:"layer5"|}, "Layer5")]
            [Layer("fc.weight", "FcWeight")] // fc is declared as Module<Tensor, Tensor>: not checkable
            public static partial class ResNetLayers { }
            """);
    }

    [Fact]
    public void FA1004_message_lists_the_existing_children()
    {
        var diagnostic = Assert.Single(AnalyzerHarness.Run("""
            [Explainable(typeof(ResNet))]
            [Layer("layer5", "Layer5")]
            public static partial class ResNetLayers { }
            """));
        Assert.Equal("FA1004", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        Assert.Equal(
            "Module path 'layer5' does not exist on 'TorchSharp.Modules.ResNet': 'TorchSharp.Modules.ResNet' has no child module 'layer5' " +
            "(its child modules: conv1, bn1, relu, maxpool, layer1, layer2, layer3, layer4, avgpool, flatten, fc)",
            diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void FA1005_neuron_index_out_of_range()
    {
        AnalyzerHarness.VerifyAgainstRuntime("""
            using Demo;
            using static FluentAttrib.Fluent;

            static class Use
            {
                const int Channel = 12;

                static void Run(Net net, ResNet resnet, Target target)
                {
                    // The typed form: one NeuronExtensions.Neuron overload per rank.
                    Explain(net).At(Net.Layers.Conv2).Neuron({|FA1005:12|}, 1, 1);
                    Explain(net).At(Net.Layers.Conv2).For(target).Neuron({|FA1005:Channel|}, 1, {|FA1005:-12|});
                    Explain(net).For(target).At(Net.Layers.Conv2).Neuron(0, {|FA1005:11L|}, (1));
                    Explain(resnet).For(208).At(ResNet18Layers.Layer4).Neuron({|FA1005:512|}, 0, 0);
                    Explain(net).At(Net.Layers.Hidden).Neuron({|FA1005:32|});
                    Explain(net).At(Net.Layers.Tokens).Neuron({|FA1005:NeuronAxis.At(4)|}, {|FA1005:NeuronAxis.FromIndex(^9)|});

                    // The untyped params overload, reached with a typed handle.
                    Explain(net).At((Layer)Net.Layers.Conv2).Neuron({|FA1005:12|}, 1, 1);
                    Explain(net).At(Net.Layers.Conv2).Untyped.Neuron(1, {|FA1005:-12|}, 1);
                    Explain(net).At(Net.Layers.Conv2).For(target).Untyped.Neuron(new NeuronAxis[] { 1, 1, {|FA1005:11 + 1|} });
                    Explain(net).At(Net.Layers.Conv2).Untyped.Neuron([{|FA1005:12|}, 1, 1]);

                    // From-end indices and slices: out of range only when they select nothing.
                    Explain(net).At(Net.Layers.Conv2).Neuron({|FA1005:^13|}, {|FA1005:^0|}, 0);
                    Explain(net).At(Net.Layers.Conv2).Neuron({|FA1005:12..|}, {|FA1005:5..5|}, {|FA1005:^0..|});
                    Explain(net).At(Net.Layers.Conv2).Neuron({|FA1005:..0|}, {|FA1005:^1..^1|}, {|FA1005:NeuronAxis.Slice(20, null)|});
                    Explain(net).At((Layer)Net.Layers.Conv2).Neuron({|FA1005:20..30|}, 0..2, 0);
                }
            }
            """, Net);
    }

    [Fact]
    public void FA1006_wrong_number_of_neuron_indices()
    {
        AnalyzerHarness.VerifyAgainstRuntime("""
            using Demo;
            using static FluentAttrib.Fluent;

            static class Use
            {
                static void Run(Net net, int i)
                {
                    // The typed form does not compile with the wrong arity; the analyzer says why.
                    Explain(net).At(Net.Layers.Conv2).{|CS1501:Neuron|}{|FA1006:(3, 1)|};
                    Explain(net).At(Net.Layers.Hidden).{|CS1501:Neuron|}{|FA1006:(i, 0)|};
                    Explain(net).At(Net.Layers.Conv2).Neuron{|FA1006:({|CS1503:5|})|};

                    // The untyped params overload compiles: the analyzer catches it.
                    Explain(net).At((Layer)Net.Layers.Conv2).Neuron{|FA1006:(3, 1)|};
                    Explain(net).At(Net.Layers.Conv2).Untyped.Neuron{|FA1006:(0..2, 1, 1, 0)|};
                    Explain(net).At(Net.Layers.Conv2).Untyped.Neuron{|FA1006:(new NeuronAxis[] { 3, 1 })|};
                    Explain(net).At(Net.Layers.Conv2).Untyped.Neuron{|FA1006:([3])|};
                }
            }
            """, Net);
    }

    [Fact]
    public void FA1005_and_FA1006_messages_show_the_index_as_written_and_the_count_needed()
    {
        var diagnostics = AnalyzerHarness.Run("""
            using Demo;
            using static FluentAttrib.Fluent;

            static class Use
            {
                static void Run(Net net)
                {
                    Explain(net).At(Net.Layers.Conv2).Neuron(11 + 1, ^0, 11..);
                    Explain(net).At((Layer)Net.Layers.Hidden).Neuron(1, 2);
                }
            }
            """, Net).Select(d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(
        [
            "Neuron index 12 is out of range for dimension 0 of layer 'Conv2', whose declared shape is (12, 11, 11)",
            "Neuron index ^0 is out of range for dimension 1 of layer 'Conv2', whose declared shape is (12, 11, 11); ^0 is past the end of a dimension",
            "Neuron index 11.. is out of range for dimension 2 of layer 'Conv2', whose declared shape is (12, 11, 11); a slice must select at least one position",
            "Layer 'Hidden' declares shape (32), so a neuron needs 1 index, not 2",
        ], diagnostics);
    }

    [Fact]
    public void FA1007_non_positive_dimension()
    {
        AnalyzerHarness.Verify("""
            [Explainable]
            public partial class Net : nn.Module<Tensor, Tensor>
            {
                [AttributionLayer(6, {|FA1007:0|}, {|FA1007:-2|})] private readonly Conv2d conv = null!;
                public Net() : base("Net") { }
                public override Tensor forward(Tensor x) => x;
            }

            [Explainable(typeof(ResNet))]
            [Layer("fc", "Fc", {|FA1007:0|})]
            [Layer("layer4", "Layer4", new long[] { 512, {|FA1007:0|}, 7 })]
            public static partial class ResNetLayers { }
            """);
    }

    [Fact]
    public void FA1008_rank_above_four()
    {
        AnalyzerHarness.Verify("""
            [Explainable]
            public partial class Net : nn.Module<Tensor, Tensor>
            {
                [{|FA1008:AttributionLayer(1, 2, 3, 4, 5)|}] private readonly Conv3d conv = null!;
                public Net() : base("Net") { }
                public override Tensor forward(Tensor x) => x;
            }
            """);
    }

    [Fact]
    public void FA1009_invalid_path()
    {
        AnalyzerHarness.Verify("""
            [Explainable(typeof(ResNet))]
            [Layer({|FA1009:""|}, "Root")]
            [Layer({|FA1009:"layer4..conv1"|}, "Gap")]
            [Layer({|FA1009:"layer4. conv1"|}, "Space")]
            [Layer({|FA1009:".fc"|}, "Leading")]
            public static partial class ResNetLayers { }
            """);
    }

    [Fact]
    public void FA1010_invalid_accessor_name()
    {
        AnalyzerHarness.Verify("""
            [Explainable]
            public partial class Net : nn.Module<Tensor, Tensor>
            {
                [AttributionLayer({|FA1010:Name = "1st"|})] private readonly Linear first = null!;
                [AttributionLayer] private readonly Linear {|FA1010:_1|} = null!;
                public Net() : base("Net") { }
                public override Tensor forward(Tensor x) => x;
            }

            [Explainable(typeof(ResNet))]
            [Layer("fc", {|FA1010:"class"|})]
            [Layer("layer4", {|FA1010:"layer 4"|})]
            public static partial class ResNetLayers { }
            """);
    }

    [Fact]
    public void FA1012_layer_module_does_not_map_one_tensor_to_one_tensor()
    {
        AnalyzerHarness.Verify("""
            [Explainable]
            public partial class Recurrent : nn.Module<Tensor, Tensor>
            {
                [AttributionLayer] private readonly LSTM {|FA1012:lstm|} = null!;
                [AttributionLayer] private readonly GRU {|FA1012:gru|} = null!;
                [AttributionLayer] private readonly Linear fc = null!;
                [AttributionLayer] private readonly nn.Module<Tensor, Tensor, Tensor> {|FA1012:pair|} = null!;
                [AttributionLayer] private readonly nn.Module head = null!;
                public Recurrent() : base("Recurrent") { }
                public override Tensor forward(Tensor x) => x;
            }

            [Explainable(typeof(Recurrent))]
            [Layer("lstm", "Lstm", {|FA1012:ModuleType = typeof(LSTM)|})]
            [Layer("fc", "Fc", ModuleType = typeof(Linear))]
            public static partial class RecurrentLayers { }
            """);
    }

    [Fact]
    public void FA1011_attribute_ignored()
    {
        AnalyzerHarness.Verify("""
            public class Plain : nn.Module<Tensor, Tensor>
            {
                [{|FA1011:AttributionLayer|}] private readonly Linear fc = null!;
                public Plain() : base("Plain") { }
                public override Tensor forward(Tensor x) => x;
            }

            [{|FA1011:Layer("fc", "Fc")|}]
            public static class NotExplainable { }

            [Explainable(typeof(ResNet))]
            public static partial class Wrapper
            {
                [{|FA1011:AttributionLayer|}] private static readonly Linear fc = null!;
            }
            """);
    }

    [Fact]
    public void Every_descriptor_has_a_unique_id_help_text_and_link()
    {
        var descriptors = new FluentAttrib.Generators.Diagnostics.LayerAnalyzer().SupportedDiagnostics;
        Assert.Equal(12, descriptors.Length);
        Assert.Equal(descriptors.Length, descriptors.Select(d => d.Id).Distinct().Count());
        Assert.All(descriptors, d =>
        {
            Assert.Matches("^FA1[0-9]{3}$", d.Id);
            Assert.False(string.IsNullOrWhiteSpace(d.Description.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.EndsWith("#" + d.Id.ToLowerInvariant(), d.HelpLinkUri, StringComparison.Ordinal);
        });
    }
}
