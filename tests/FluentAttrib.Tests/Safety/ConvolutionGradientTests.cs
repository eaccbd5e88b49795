using FluentAttrib.Core;
using TorchSharp;
using TorchSharp.Modules;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Tests;

/// <summary>
/// Gradients through small float32 convolutions in batches, repeated: libtorch 2.10's oneDNN backward-data kernel is
/// wrong in some calls on multi-threaded AVX-512 CPUs, so every gradient FluentAttrib takes must equal the float64
/// gradient of the same network, in every call (see Core/Backward.cs).
/// </summary>
public class ConvolutionGradientTests
{
    /// <summary>
    /// The shape of samples/TypedLayers' network (first kernel 3) or of LeNet (first kernel 5): conv → relu → pool →
    /// conv → relu → flatten → linear.
    /// </summary>
    private sealed class SmallCnn : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d conv1;
        private readonly ReLU relu1 = nn.ReLU();
        private readonly MaxPool2d pool = nn.MaxPool2d(2);
        private readonly Conv2d conv2 = nn.Conv2d(6, 12, 3);
        private readonly ReLU relu2 = nn.ReLU();
        private readonly Flatten flatten = nn.Flatten();
        private readonly Linear fc;

        public SmallCnn(int kernel) : base(nameof(SmallCnn))
        {
            conv1 = nn.Conv2d(1, 6, kernel);
            long side = (28 - kernel + 1) / 2 - 2;
            fc = nn.Linear(12 * side * side, 10);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var x = pool.call(relu1.call(conv1.call(input)));
            return fc.call(flatten.call(relu2.call(conv2.call(x)))).MoveToOuterDisposeScope();
        }
    }

    private static (SmallCnn Float32, SmallCnn Float64) Models(int kernel = 3)
    {
        manual_seed(0);
        var a = new SmallCnn(kernel);
        a.eval();
        var b = new SmallCnn(kernel);
        b.load_state_dict(a.state_dict());
        b.to(ScalarType.Float64);
        b.eval();
        return (a, b);
    }

    [Fact]
    public void The_backward_switch_is_found_in_the_loaded_libtorch()
    {
        if (OperatingSystem.IsLinux()) Assert.True(Backward.UsesMkldnnSwitch);
    }

    /// <summary>
    /// A single image is not safe either: through oneDNN, the input gradient of LeNet's first convolution (1 → 6
    /// channels, 5×5) on one 28×28 image was wrong or NaN in 10 of 10 calls on this CI's CPU.
    /// </summary>
    [Theory]
    [InlineData(1, 3)]
    [InlineData(2, 3)]
    [InlineData(8, 3)]
    [InlineData(1, 5)]
    [InlineData(2, 5)]
    public void Saliency_and_neuron_gradients_equal_the_float64_gradient_in_every_call(int batch, int kernel)
    {
        var (m32, m64) = Models(kernel);
        manual_seed(batch);
        using var x = rand(batch, 1, 28, 28);
        using var x64 = x.to(ScalarType.Float64);
        using var expected = Explain(m64).For(1).With(Saliency.Signed).Attribute(x64);
        using var expectedNeuron = Explain(m64).At("conv2").Neuron(3, 4, 5).With(NeuronGradient.Default).Attribute(x64);
        double range = expected.Value.abs().max().item<double>();
        double neuronRange = expectedNeuron.Value.abs().max().item<double>();
        for (int call = 0; call < 15; call++)
        {
            using var got = Explain(m32).For(1).With(Saliency.Signed).Attribute(x);
            double diff = (got.Value.to(ScalarType.Float64) - expected.Value).abs().max().item<double>();
            Assert.True(diff <= 1e-5 * range, $"batch {batch}, call {call}: saliency differs by {diff:G3} (range {range:G3})");
            using var neuron = Explain(m32).At("conv2").Neuron(3, 4, 5).With(NeuronGradient.Default).Attribute(x);
            double nd = (neuron.Value.to(ScalarType.Float64) - expectedNeuron.Value).abs().max().item<double>();
            Assert.True(nd <= 1e-5 * Math.Max(neuronRange, 1e-12), $"batch {batch}, call {call}: neuron gradient differs by {nd:G3}");
        }
    }

    [Fact]
    public void Integrated_gradients_with_batched_path_points_equal_float64()
    {
        var (m32, m64) = Models();
        manual_seed(5);
        using var x = rand(2, 1, 28, 28);
        using var expected = Explain(m64).For(1).With(IntegratedGradients.Steps(16)).Attribute(x.to(ScalarType.Float64));
        double range = expected.Value.abs().max().item<double>();
        for (int call = 0; call < 5; call++)
        {
            using var got = Explain(m32).For(1).With(IntegratedGradients.Steps(16)).Attribute(x);
            double diff = (got.Value.to(ScalarType.Float64) - expected.Value).abs().max().item<double>();
            Assert.True(diff <= 1e-4 * range, $"call {call}: IG differs by {diff:G3} (range {range:G3})");
        }
    }
}
