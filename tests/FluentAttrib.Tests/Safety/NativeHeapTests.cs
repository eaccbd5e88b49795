using System.Diagnostics;
using FluentAttrib.Core;
using TorchSharp;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FluentAttrib.Tests.Safety;

/// <summary>
/// The native memory kept between the passes of a call goes back to the operating system when the call ends (glibc on
/// Linux; elsewhere there is nothing to check). (Whether later passes reuse it is measured by the benchmark's
/// alloc-probe case, not asserted here: in a small test process the page-fault count per pass varied from 6 to 10,000.)
/// </summary>
public class NativeHeapTests(ITestOutputHelper output)
{
    // Five passes of 13 copies of a 16×128×128 input through three convolutions and their ReLUs: each pass holds about
    // 100 MB of tensors of 13.6 MB each (each below glibc's 32 MiB mmap limit, together above its 64 MiB trim threshold).
    private static (Sequential Model, Tensor Input, FeatureAblation Method) Workload()
    {
        TorchRuntime.EnsureLoaded();
        torch.random.manual_seed(3);
        var model = Sequential(Conv2d(16, 16, 3, padding: 1), ReLU(), Conv2d(16, 16, 3, padding: 1), ReLU(), Conv2d(16, 16, 3, padding: 1), ReLU(),
            AdaptiveAvgPool2d(1), Flatten(), Linear(16, 2));
        model.eval();
        var input = randn(1, 16, 128, 128);
        var cells = arange(128).div(16, rounding_mode: RoundingMode.floor);
        var mask = (cells.unsqueeze(1) * 8 + cells.unsqueeze(0)).reshape(1, 1, 128, 128).expand(1, 16, 128, 128).contiguous();
        return (model, input, FeatureAblation.Default.Mask(mask).PerturbationsPerPass(13)); // 65 copies: 5 passes
    }

    private static long Rss()
    {
        using var p = Process.GetCurrentProcess();
        p.Refresh();
        return p.WorkingSet64;
    }

    [Fact]
    public void The_kept_memory_goes_back_when_the_call_ends()
    {
        if (!NativeHeap.Available) return;
        var (model, input, method) = Workload();
        Explain(model).For(0).With(method).Attribute(input).Dispose();
        long rssBefore = Rss();
        using (Explain(model).For(0).With(method).Attribute(input)) { }
        long grown = Rss() - rssBefore;
        output.WriteLine($"RSS after the call: {grown / (1 << 20):+0;-0;0} MB against before it");
        Assert.True(grown < 64L << 20, $"RSS grew by {grown >> 20} MB over a call whose passes hold about 100 MB each");
    }
}
