using System.Diagnostics;
using FluentAttrib;
using TorchSharp;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

/// <summary>
/// Soak mode (<c>-- --soak [attributions]</c>): many mixed attributions in one process on a small CNN, each in its own
/// dispose scope; prints the resident set size after a warm-up and at the end, and the growth in percent (the goal is
/// under 5% over 10,000 attributions).
/// </summary>
static class Soak
{
    public static void Run(int count)
    {
        TorchRuntime.EnsureLoaded();
        torch.random.manual_seed(5);
        var model = nn.Sequential(("conv1", nn.Conv2d(1, 4, 3, padding: 1)), ("relu1", nn.ReLU()), ("conv2", nn.Conv2d(4, 6, 3)),
            ("relu2", nn.ReLU()), ("flatten", nn.Flatten()), ("fc", nn.Linear(6 * 6 * 6, 3)));
        model.eval();
        var x = randn(2, 1, 8, 8);
        var explainer = Explain(model).For(1);
        var kinds = new Func<Attribution>[]
        {
            () => explainer.With(Saliency.Default).Attribute(x),
            () => explainer.With(IntegratedGradients.Steps(8)).Attribute(x),
            () => explainer.At("conv2").With(LayerIntegratedGradients.Steps(8)).Attribute(x),
            () => explainer.At("conv2").With(LayerGradCam.Default).Attribute(x),
            () => explainer.With(GuidedBackprop.Default).Attribute(x),
            () => explainer.With(DeepLift.Default).Attribute(x),
            () => explainer.With(Lrp.Default).Attribute(x),
            () => explainer.With(Occlusion.Window(1, 3, 3).Stride(1, 2, 2)).Attribute(x),
            () => explainer.With(FeatureAblation.Default).Attribute(x),
            () => explainer.With(NoiseTunnel.SmoothGrad(Saliency.Default).Samples(4)).Attribute(x),
        };
        int warmup = Math.Max(kinds.Length * 10, count / 10);
        long rssWarm = 0;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            using (var scope = NewDisposeScope())
            using (var a = kinds[i % kinds.Length]())
                _ = a.Value.sum().item<float>();
            if (i + 1 == warmup)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                rssWarm = Rss();
                Console.WriteLine($"soak: RSS after {warmup} warm-up attributions: {rssWarm / 1048576.0:F1} MB");
            }
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long rssEnd = Rss();
        double growth = 100.0 * (rssEnd - rssWarm) / rssWarm;
        Console.WriteLine($"soak: RSS after {count} attributions ({kinds.Length} methods, {sw.Elapsed.TotalSeconds:F0} s): {rssEnd / 1048576.0:F1} MB");
        Console.WriteLine($"soak: RSS growth after warm-up: {growth:F2}% (goal < 5%) — {(growth < 5 ? "OK" : "TOO HIGH")}");
    }

    private static long Rss()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:"))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        return Environment.WorkingSet;
    }
}
