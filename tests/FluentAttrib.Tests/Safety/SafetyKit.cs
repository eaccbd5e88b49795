using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FluentAttrib.Tests.Safety;

/// <summary>Small models and model snapshots for the safety tests.</summary>
internal static class SafetyKit
{
    /// <summary>(B, 1, 6, 6) → 3: conv1 relu1 conv2 relu2 flatten fc, float64, eval mode — a plain CNN with a Flatten.</summary>
    public static Sequential Cnn(long seed = 5)
    {
        TorchRuntime.EnsureLoaded();
        torch.random.manual_seed(seed);
        var m = Sequential(("conv1", Conv2d(1, 3, 3, padding: 1)), ("relu1", ReLU()), ("conv2", Conv2d(3, 4, 3)), ("relu2", ReLU()),
            ("flatten", Flatten()), ("fc", Linear(4 * 4 * 4, 3)));
        m.to(ScalarType.Float64);
        m.eval();
        return m;
    }

    /// <summary>6 → 8 (BatchNorm1d, Dropout) → 3, float64, in the mode given.</summary>
    public static Sequential BatchNormMlp(bool training, long seed = 9)
    {
        TorchRuntime.EnsureLoaded();
        torch.random.manual_seed(seed);
        var m = Sequential(("fc1", Linear(6, 8)), ("bn", BatchNorm1d(8)), ("relu", ReLU()), ("drop", Dropout(0.3)), ("fc2", Linear(8, 3)));
        m.to(ScalarType.Float64);
        using (no_grad())
        {
            var bn = (TorchSharp.Modules.BatchNorm1d)m.named_children().First(c => c.name == "bn").module;
            bn.running_mean!.copy_(randn(8, dtype: ScalarType.Float64) * 0.1);
            bn.running_var!.copy_(rand(8, dtype: ScalarType.Float64) + 0.5);
        }
        if (training) m.train(); else m.eval();
        return m;
    }

    /// <summary>(B, 1, 6, 6) → 3: conv1 bn relu drop flatten fc, float64, BatchNorm with non-trivial statistics, in the mode given.</summary>
    public static Sequential BatchNormCnn(bool training, long seed = 13)
    {
        TorchRuntime.EnsureLoaded();
        torch.random.manual_seed(seed);
        var m = Sequential(("conv1", Conv2d(1, 3, 3, padding: 1)), ("bn", BatchNorm2d(3)), ("relu", ReLU()), ("drop", Dropout(0.25)),
            ("flatten", Flatten()), ("fc", Linear(3 * 6 * 6, 3)));
        m.to(ScalarType.Float64);
        using (no_grad())
        {
            var bn = (BatchNorm2d)m.named_children().First(c => c.name == "bn").module;
            bn.running_mean!.copy_(randn(3, dtype: ScalarType.Float64) * 0.1);
            bn.running_var!.copy_(rand(3, dtype: ScalarType.Float64) + 0.5);
        }
        if (training) m.train(); else m.eval();
        return m;
    }

    public static Tensor Images(long batch, long seed) 
    {
        using var g = new Generator((ulong)seed);
        return randn([batch, 1, 6, 6], generator: g, dtype: ScalarType.Float64);
    }

    /// <summary>Every parameter, buffer (cloned) and training flag of <paramref name="model"/>.</summary>
    public sealed class Snapshot
    {
        private readonly List<(string Name, Tensor Value)> _tensors = [];
        private readonly List<(string Name, bool Training, bool? RequiresGrad)> _flags = [];

        public Snapshot(Module model)
        {
            using var _ = no_grad();
            foreach (var (name, p) in model.named_parameters()) _tensors.Add(("param " + name, p.detach().clone().DetachFromDisposeScope()));
            foreach (var (name, b) in model.named_buffers()) _tensors.Add(("buffer " + name, b.detach().clone().DetachFromDisposeScope()));
            _flags.Add(("(root)", model.training, null));
            foreach (var (name, m) in model.named_modules()) _flags.Add((name, m.training, null));
            foreach (var (name, p) in model.named_parameters()) _flags.Add(("param " + name, false, p.requires_grad));
        }

        /// <summary>Asserts that <paramref name="model"/> is bit-identical to the snapshot, and no parameter has a gradient.</summary>
        public void AssertSame(Module model, string when)
        {
            var now = new Snapshot(model);
            Assert.Equal(_tensors.Count, now._tensors.Count);
            for (int i = 0; i < _tensors.Count; i++)
            {
                Assert.Equal(_tensors[i].Name, now._tensors[i].Name);
                Assert.True((_tensors[i].Value == now._tensors[i].Value).all().item<bool>(), $"{_tensors[i].Name} changed {when}");
            }
            Assert.Equal(_flags, now._flags);
            foreach (var (name, p) in model.named_parameters())
                Assert.True(p.grad is null || p.grad.IsInvalid, $"parameter {name} has a gradient {when}");
        }
    }
}
