using System.Collections;
using System.Reflection;
using FluentAttrib.Architectures;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FluentAttrib.Tests.Rules;

/// <summary>Models with fixed weights, model snapshots and hook counting for the rule-based method tests.</summary>
internal static class RulesTestKit
{
    /// <summary>Sets every parameter and BatchNorm buffer from a seeded generator (He-scaled weights).</summary>
    public static void SeedWeights(nn.Module model, long seed, bool biases = true, bool randomBatchNorm = true)
    {
        TorchRuntime.EnsureLoaded();
        using var _ = no_grad();
        using var g = new Generator((ulong)seed);
        foreach (var (name, m) in model.named_modules().Prepend(("", model)))
        {
            switch (m)
            {
                case BatchNorm2d bn:
                    bn.weight.copy_(randomBatchNorm ? rand(bn.weight.shape, generator: g) + 0.5 : ones(bn.weight.shape));
                    bn.bias!.copy_(randomBatchNorm ? randn(bn.bias.shape, generator: g) * 0.1 : zeros(bn.bias.shape));
                    bn.running_mean!.copy_(randomBatchNorm ? randn(bn.running_mean.shape, generator: g) * 0.1 : zeros(bn.running_mean.shape));
                    bn.running_var!.copy_(randomBatchNorm ? rand(bn.running_var.shape, generator: g) + 0.5 : ones(bn.running_var.shape));
                    break;
                case TorchSharp.Modules.Conv2d or TorchSharp.Modules.Linear:
                    foreach (var (pname, p) in m.named_parameters(recurse: false))
                    {
                        if (pname == "weight")
                        {
                            double fanIn = p.shape.Skip(1).Aggregate(1L, (a, b) => a * b);
                            p.copy_(randn(p.shape, generator: g) * Math.Sqrt(2.0 / fanIn));
                        }
                        else p.copy_(biases ? randn(p.shape, generator: g) * 0.1 : zeros(p.shape));
                    }
                    break;
            }
        }
    }

    /// <summary>6 → 10 → 8 → 3 MLP (fc1 relu1 fc2 relu2 fc3), float64.</summary>
    public static Sequential Mlp(long seed = 3)
    {
        TorchRuntime.EnsureLoaded();
        var m = Sequential(("fc1", Linear(6, 10)), ("relu1", ReLU()), ("fc2", Linear(10, 8)), ("relu2", ReLU()), ("fc3", Linear(8, 3)));
        SeedWeights(m, seed);
        m.to(ScalarType.Float64);
        m.eval();
        return m;
    }

    /// <summary>(B, 1, 8, 8) → 3: conv1 relu1 pool1 conv2 relu2 gap flatten fc, float64.</summary>
    public static Sequential Cnn(long seed = 5)
    {
        TorchRuntime.EnsureLoaded();
        var m = Sequential(("conv1", Conv2d(1, 4, 3, padding: 1)), ("relu1", ReLU()), ("pool1", MaxPool2d(2, 2)),
            ("conv2", Conv2d(4, 6, 3)), ("relu2", ReLU()), ("gap", AdaptiveAvgPool2d(1)), ("flatten", Flatten()), ("fc", Linear(6, 3)));
        SeedWeights(m, seed);
        m.to(ScalarType.Float64);
        m.eval();
        return m;
    }

    /// <summary>An explainable ResNet-18 with 10 classes and fixed random weights (BatchNorm included), eval mode.</summary>
    public static ExplainableResNet ResNet18(ScalarType dtype = ScalarType.Float32, long seed = 11, bool biases = true, bool randomBatchNorm = true)
    {
        TorchRuntime.EnsureLoaded();
        var m = ExplainableResNet.ResNet18(numClasses: 10);
        SeedWeights(m, seed, biases, randomBatchNorm);
        m.to(dtype);
        m.eval();
        return m;
    }

    public static Tensor Data(long seed, ScalarType dtype, params long[] shape)
    {
        using var g = new Generator((ulong)seed);
        return randn(shape, generator: g).to(dtype);
    }

    /// <summary>Hooks registered on <paramref name="model"/> and its modules (forward and pre-forward, both kinds).</summary>
    public static int HookCount(nn.Module model)
    {
        int count = 0;
        foreach (var m in model.modules().Prepend(model))
        {
            for (var t = m.GetType(); t is not null; t = t.BaseType)
            {
                if (!t.IsGenericType || t.GetGenericTypeDefinition().Name != "HookableModule`2") continue;
                foreach (var name in new[] { "pre_hooks", "post_hooks", "module_pre_hooks", "module_post_hooks" })
                    if (t.GetField(name, BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(m) is ICollection c) count += c.Count;
            }
        }
        return count;
    }

    /// <summary>Everything about a model an attribution could change: parameters, buffers, flags, structure.</summary>
    public sealed class Snapshot : IDisposable
    {
        private readonly nn.Module _model;
        private readonly Dictionary<string, Tensor> _state;
        private readonly List<(string, bool Training)> _modes;
        private readonly List<(string, bool RequiresGrad, bool HasGrad)> _params;
        private readonly string _structure;

        public Snapshot(nn.Module model)
        {
            _model = model;
            _state = model.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone().DetachFromDisposeScope());
            _modes = model.named_modules().Prepend(("", model)).Select(m => (m.Item1, m.Item2.training)).ToList();
            _params = model.named_parameters().Select(p => (p.name, p.parameter.requires_grad, p.parameter.grad is { IsInvalid: false })).ToList();
            _structure = string.Join(";", model.named_modules().Select(m => m.name + ":" + m.module.GetType().Name));
        }

        /// <summary>Asserts bit-for-bit equal parameters and buffers, same modes, flags, structure, and no hook.</summary>
        public void AssertUnchanged()
        {
            var now = _model.state_dict();
            Assert.Equal(_state.Keys.Order(), now.Keys.Order());
            foreach (var (k, before) in _state)
            {
                var after = now[k];
                Assert.True(before.dtype == after.dtype && before.shape.SequenceEqual(after.shape), $"{k} changed dtype or shape");
                // Bit-for-bit: compare the raw bytes (NaN-safe, −0 ≠ +0).
                Assert.True(before.bytes.ToArray().AsSpan().SequenceEqual(after.contiguous().bytes.ToArray()), $"{k} changed");
            }
            Assert.Equal(_modes, _model.named_modules().Prepend(("", _model)).Select(m => (m.Item1, m.Item2.training)).ToList());
            Assert.Equal(_params, _model.named_parameters().Select(p => (p.name, p.parameter.requires_grad, p.parameter.grad is { IsInvalid: false })).ToList());
            Assert.Equal(_structure, string.Join(";", _model.named_modules().Select(m => m.name + ":" + m.module.GetType().Name)));
            Assert.Equal(0, HookCount(_model));
        }

        public void Dispose()
        {
            foreach (var t in _state.Values) t.Dispose();
        }
    }
}
