namespace FluentAttrib.Generators.Tests;

/// <summary>The generated source, compared with <c>Snapshots/*.verified.cs</c> (see <see cref="Snapshot"/>).</summary>
public class GeneratorSnapshotTests
{
    [Fact]
    public void User_module_gets_a_nested_Layers_class() =>
        AssertGenerated(nameof(User_module_gets_a_nested_Layers_class), Sources.UserModule);

    [Fact]
    public void Wrapper_gets_static_accessors() =>
        AssertGenerated(nameof(Wrapper_gets_static_accessors), Sources.ResNetWrapper);

    [Fact]
    public void Nested_generic_types_and_the_global_namespace() =>
        AssertGenerated(nameof(Nested_generic_types_and_the_global_namespace), """
            namespace Demo.Nested;

            public partial class Outer<T> where T : class
            {
                internal partial record struct Holder
                {
                    [Explainable]
                    internal partial class Net<TModule> : nn.Module<Tensor, Tensor> where TModule : nn.Module<Tensor, Tensor>
                    {
                        [AttributionLayer(4)] private readonly TModule head;
                        [AttributionLayer(2, 8)] private readonly Linear? tail;

                        public Net(TModule head) : base("Net") => this.head = head;

                        public override Tensor forward(Tensor x) => x;
                    }
                }
            }
            """, """
            [Explainable]
            public partial class GlobalNet : nn.Module<Tensor, Tensor>
            {
                [AttributionLayer(8)] private readonly Linear fc = nn.Linear(4, 8);

                public GlobalNet() : base("GlobalNet") { }

                public override Tensor forward(Tensor x) => x;
            }

            public static partial class Models
            {
                [Explainable(typeof(Sequential))]
                [Layer("0", "First", 16)]
                [Layer("features.3", "Deep", 32, 4, 4, 4)]
                public static partial class SequentialLayers { }
            }
            """);

    [Fact]
    public void Invalid_annotations_are_skipped_or_lose_their_shape() =>
        AssertGenerated(nameof(Invalid_annotations_are_skipped_or_lose_their_shape), """
            namespace Demo;

            [Explainable]
            public partial class Messy : nn.Module<Tensor, Tensor>
            {
                [AttributionLayer(3)] private readonly Linear fc;
                [AttributionLayer(4, Name = "Fc")] private readonly Linear fc2;      // duplicate name: skipped
                [AttributionLayer(1, 2, 3, 4, 5)] private readonly Linear wide;      // rank 5: no shape
                [AttributionLayer(6, 0)] private readonly Linear zero;               // non-positive: no shape
                [AttributionLayer] private readonly int count;                        // not a module: skipped
                [AttributionLayer(Name = "class")] private readonly Linear keyword;  // invalid name: skipped
                [AttributionLayer(Name = "All")] private readonly Linear all;        // reserved: skipped

                public Messy() : base("Messy") { }

                public override Tensor forward(Tensor x) => x;
            }

            [Explainable(typeof(ResNet))]
            [Layer("", "Empty")]
            [Layer("layer4..conv1", "Gap")]
            [Layer("layer4", "MessyWrapper")]
            [Layer("layer3", "Layer3")]
            public static partial class MessyWrapper { }
            """);

    [Fact]
    public void Non_partial_types_generate_nothing()
    {
        var (_, result) = TestCompilation.RunGenerator(TestCompilation.Create("""
            [Explainable]
            public class NotPartial : nn.Module<Tensor, Tensor>
            {
                [AttributionLayer(3)] private readonly Linear fc = nn.Linear(3, 3);
                public NotPartial() : base("NotPartial") { }
                public override Tensor forward(Tensor x) => x;
            }

            public class Outer
            {
                [Explainable(typeof(ResNet))]
                [Layer("fc", "Fc")]
                public static partial class InNonPartial { }
            }
            """));
        Assert.Empty(result.GeneratedTrees);
        Assert.Null(result.Results[0].Exception);
    }

    private static void AssertGenerated(string testName, params string[] sources)
    {
        var (output, result) = TestCompilation.RunGenerator(TestCompilation.Create(sources));
        Assert.Null(result.Results[0].Exception);
        Assert.Empty(result.Diagnostics);

        var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error ||
            (d.Location.SourceTree?.FilePath.EndsWith(".g.cs", StringComparison.Ordinal) ?? false)).ToList();
        Assert.True(errors.Count == 0, "The generated code does not compile cleanly:\n" + TestCompilation.Describe(errors));

        Assert.NotEmpty(result.Results[0].GeneratedSources);
        foreach (var generated in result.Results[0].GeneratedSources)
            Snapshot.Match(generated.SourceText.ToString(), $"{testName}.{generated.HintName[..^".cs".Length]}");
    }
}
