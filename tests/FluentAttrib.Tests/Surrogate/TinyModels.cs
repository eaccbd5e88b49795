using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Tests;

/// <summary>Small deterministic models for the surrogate, noise-tunnel and metric tests.</summary>
internal static class TinyModels
{
    /// <summary>y = x Wᵀ + b, 6 → 3, fixed weights.</summary>
    public static nn.Module<Tensor, Tensor> Linear(ScalarType dtype = ScalarType.Float64)
    {
        var lin = nn.Linear(6, 3, dtype: ScalarType.Float64);
        using (no_grad())
        {
            lin.weight!.copy_(tensor(new double[]
            {
                0.5, -1.0, 0.25, 2.0, -0.75, 1.5,
                -0.3, 0.8, 1.1, -0.2, 0.6, -1.4,
                1.2, 0.1, -0.9, 0.4, 1.3, -0.5,
            }).reshape(3, 6));
            lin.bias!.copy_(tensor(new double[] { 0.1, -0.2, 0.3 }));
        }
        lin.to(dtype);
        return lin;
    }

    /// <summary>The weight matrix of <see cref="Linear"/> as (3, 6) float64.</summary>
    public static Tensor LinearWeights(nn.Module<Tensor, Tensor> linear) =>
        ((TorchSharp.Modules.Linear)linear).weight!.detach().to(ScalarType.Float64);

    /// <summary>A smooth nonlinear MLP 6 → 8 → 3 (tanh), weights drawn from its own seeded generator (tests run in parallel).</summary>
    public static nn.Module<Tensor, Tensor> Mlp(ScalarType dtype = ScalarType.Float64)
    {
        var seq = nn.Sequential(("fc1", nn.Linear(6, 8)), ("act", nn.Tanh()), ("fc2", nn.Linear(8, 3)));
        using (var generator = new Generator(7))
        using (no_grad())
            foreach (var p in seq.parameters()) p.copy_(randn(p.shape, generator: generator) * 0.6);
        seq.to(dtype);
        seq.eval();
        return seq;
    }

    /// <summary>A batch of 3 examples with 6 features.</summary>
    public static Tensor Inputs(ScalarType dtype = ScalarType.Float64) =>
        tensor(new double[]
        {
            0.3, -0.8, 1.2, 0.5, -0.1, 0.9,
            -1.1, 0.4, 0.7, -0.6, 1.5, 0.2,
            0.8, 0.8, -0.3, 1.1, -0.9, -0.4,
        }).reshape(3, 6).to(dtype);

    /// <summary>Largest absolute difference, in float64. The shapes must be equal (no broadcasting).</summary>
    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape))
            throw new Xunit.Sdk.XunitException($"MaxAbsDiff: shapes differ: ({string.Join(", ", a.shape)}) vs ({string.Join(", ", b.shape)}).");
        return (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max().item<double>();
    }
}
