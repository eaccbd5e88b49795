using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Tests;

/// <summary>Small deterministic models for unit tests.</summary>
internal static class TestModels
{
    /// <summary>A 4 → 8 → 3 MLP with ReLU, float64, fixed seed.</summary>
    public static nn.Module<Tensor, Tensor> Mlp(ScalarType dtype = ScalarType.Float64, long seed = 7)
    {
        torch.random.manual_seed(seed);
        var m = nn.Sequential(("fc1", nn.Linear(4, 8)), ("relu", nn.ReLU()), ("fc2", nn.Linear(8, 3)));
        m.to(dtype);
        m.eval();
        return m;
    }

    public static Tensor Batch(long batch = 3, ScalarType dtype = ScalarType.Float64, long seed = 11)
    {
        torch.random.manual_seed(seed);
        return randn(batch, 4, dtype: dtype);
    }
}
