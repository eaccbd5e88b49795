using System.Collections.Concurrent;
using System.Diagnostics;
using static FluentAttrib.Fluent;
using static FluentAttrib.Tests.Safety.SafetyKit;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Safety;

/// <summary>
/// One model, several threads: plain calls and attributions of every kind at the same time give exactly what they
/// give alone (the hooks of an attribution act only on its own passes).
/// </summary>
public class ConcurrencyTests
{
    private static readonly string[] Kinds =
        ["inference", "Saliency", "IntegratedGradients", "LayerIntegratedGradients", "LayerGradCam", "GuidedBackprop", "DeepLift", "LRP", "Occlusion"];

    private static Tensor Run(string kind, TorchSharp.Modules.Sequential model, Tensor x)
    {
        var e = Explain(model).For(1);
        Attribution a = kind switch
        {
            "inference" => null!,
            "Saliency" => e.With(Saliency.Default).Attribute(x),
            "IntegratedGradients" => e.With(IntegratedGradients.Steps(6)).Attribute(x),
            "LayerIntegratedGradients" => e.At("conv2").With(LayerIntegratedGradients.Steps(6)).Attribute(x),
            "LayerGradCam" => e.At("conv2").With(LayerGradCam.Default).Attribute(x),
            "GuidedBackprop" => e.With(GuidedBackprop.Default).Attribute(x),
            "DeepLift" => e.With(DeepLift.Default).Attribute(x),
            "LRP" => e.With(Lrp.Default).Attribute(x),
            "Occlusion" => e.With(Occlusion.Window(1, 3, 3)).Attribute(x),
            _ => throw new ArgumentException(kind),
        };
        if (a is null)
        {
            using var _ = no_grad();
            return model.call(x).detach().clone();
        }
        var v = a.Value.detach().clone();
        a.Dispose();
        return v;
    }

    [Fact]
    public void Four_threads_mixing_inference_and_nine_methods_on_one_model_match_the_single_threaded_results()
    {
        var model = Cnn();
        var inputs = Enumerable.Range(0, 3).Select(i => Images(2, 100 + i).DetachFromDisposeScope()).ToArray();
        var reference = new Dictionary<(string, int), Tensor>();
        foreach (var kind in Kinds)
            for (int i = 0; i < inputs.Length; i++)
                reference[(kind, i)] = Run(kind, model, inputs[i]).DetachFromDisposeScope();
        var snapshot = new Snapshot(model);

        const int threads = 4, callsPerThread = 270;
        var wrong = new ConcurrentBag<string>();
        var errors = new ConcurrentBag<Exception>();
        int calls = 0;
        using var start = new Barrier(threads);
        var sw = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var rng = new Random(1000 + t);
            start.SignalAndWait();
            for (int c = 0; c < callsPerThread; c++)
            {
                // Every thread cycles through every kind, in its own order, so all of them overlap.
                string kind = Kinds[(c + t * 2) % Kinds.Length];
                int i = rng.Next(inputs.Length);
                try
                {
                    using var scope = NewDisposeScope();
                    var got = Run(kind, model, inputs[i]);
                    var want = reference[(kind, i)];
                    if (!got.shape.SequenceEqual(want.shape) || !got.allclose(want, rtol: 1e-9, atol: 1e-12))
                        wrong.Add($"{kind} on input {i} (thread {t}, call {c})");
                }
                catch (Exception ex)
                {
                    errors.Add(new InvalidOperationException($"{kind} on input {i} (thread {t}, call {c})", ex));
                }
                Interlocked.Increment(ref calls);
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => Assert.True(w.Join(TimeSpan.FromSeconds(120)), "a worker did not finish"));
        sw.Stop();

        Assert.Equal(threads * callsPerThread, calls);
        Assert.True(calls >= 1000);
        Assert.True(errors.IsEmpty, $"{errors.Count} exception(s), first: {errors.FirstOrDefault()}");
        Assert.True(wrong.IsEmpty, $"{wrong.Count} wrong result(s): {string.Join("; ", wrong.Take(5))}");
        Assert.Equal(0, Rules.RulesTestKit.HookCount(model));
        snapshot.AssertSame(model, "after the concurrent calls");
    }

    /// <summary>
    /// Blocks the forward pass of the first caller until released; later callers pass straight through. Named
    /// Identity so that LRP treats it as the shape-only module it is.
    /// </summary>
    private sealed class Identity(ManualResetEventSlim entered, ManualResetEventSlim release) : TorchSharp.torch.nn.Module<Tensor, Tensor>("Identity")
    {
        private int _blocked;

        public override Tensor forward(Tensor input)
        {
            if (Interlocked.Exchange(ref _blocked, 1) == 0)
            {
                entered.Set();
                release.Wait(TimeSpan.FromSeconds(30));
            }
            return input.alias();
        }
    }

    [Theory]
    [InlineData("LayerIntegratedGradients")]
    [InlineData("DeepLift")]
    [InlineData("GuidedBackprop")]
    [InlineData("LRP")]
    public async Task While_an_attribution_is_inside_its_forward_pass_other_threads_see_the_model_unchanged(string blocked)
    {
        using var scope = NewDisposeScope();
        var cnn = Cnn();
        var parts = cnn.named_children().ToDictionary(c => c.name, c => (TorchSharp.torch.nn.Module<Tensor, Tensor>)c.module);
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var model = TorchSharp.torch.nn.Sequential(("conv1", parts["conv1"]), ("relu1", parts["relu1"]), ("conv2", parts["conv2"]),
            ("gate", new Identity(entered, release)), ("relu2", parts["relu2"]), ("flatten", parts["flatten"]), ("fc", parts["fc"]));
        var x = Images(2, 1);
        // References, computed alone on the same modules without the gate.
        var want = Kinds.ToDictionary(k => k, k => Run(k, cnn, x));

        var first = Task.Run(() =>
        {
            using var s = NewDisposeScope();
            return Run(blocked, model, x).DetachFromDisposeScope();
        });
        Assert.True(entered.Wait(TimeSpan.FromSeconds(30)), "the blocked attribution did not start");
        try
        {
            foreach (var kind in Kinds)
            {
                var got = Run(kind, model, x);
                Assert.True(got.allclose(want[kind], rtol: 1e-9, atol: 1e-12), $"{kind} differs while {blocked} runs on another thread");
            }
        }
        finally
        {
            release.Set();
        }
        var blockedResult = await first.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(blockedResult.allclose(want[blocked], rtol: 1e-9, atol: 1e-12), $"{blocked} differs from its result alone");
        Assert.Equal(0, Rules.RulesTestKit.HookCount(model));
    }
}
