namespace FluentAttrib.Generators.Tests;

/// <summary>Model sources the tests share.</summary>
internal static class Sources
{
    /// <summary>A user-written module with marked fields (block namespace).</summary>
    public const string UserModule = """
        namespace Demo
        {
            [Explainable]
            public partial class Net : nn.Module<Tensor, Tensor>
            {
                [AttributionLayer] private readonly Conv2d conv1;
                [AttributionLayer(6, 2, 2)] private readonly Conv2d conv2;
                [AttributionLayer(10, Name = "Hidden")] private readonly Linear fc_1;
                [AttributionLayer(3)] private readonly Linear fc_out;
                [TorchSharp.Utils.ComponentName(Name = "act")] [AttributionLayer] private readonly ReLU relu;
                private readonly Linear unmarked;

                public Net() : base(nameof(Net))
                {
                    conv1 = nn.Conv2d(1, 6, 3);
                    conv2 = nn.Conv2d(6, 6, 3);
                    fc_1 = nn.Linear(24, 10);
                    fc_out = nn.Linear(10, 3);
                    relu = nn.ReLU();
                    unmarked = nn.Linear(3, 3);
                    RegisterComponents();
                }

                public override Tensor forward(Tensor x) => x;
            }
        }
        """;

    /// <summary>A wrapper for TorchVision's ResNet (file-scoped namespace).</summary>
    public const string ResNetWrapper = """
        namespace Demo.Vision;

        [Explainable(typeof(ResNet))]
        [Layer("layer4", "Layer4", 512, 7, 7)]
        [Layer("layer4.1.conv2", "Layer4Conv2", ModuleType = typeof(Conv2d))]
        [Layer("avgpool", "AvgPool", 512, 1, 1)]
        [Layer("fc", "Fc", 1000, ModuleType = typeof(Linear))]
        public static partial class ResNet18Layers
        {
        }
        """;
}
