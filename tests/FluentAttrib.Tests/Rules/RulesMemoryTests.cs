using System.Diagnostics;
using TorchSharp;
using Xunit.Abstractions;
using static FluentAttrib.Fluent;
using static FluentAttrib.Tests.Rules.RulesTestKit;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Rules;

/// <summary>Runs alone (after the parallel tests), so the process's RSS reflects this test only.</summary>
[CollectionDefinition(nameof(RulesMemoryCollection), DisableParallelization = true)]
public sealed class RulesMemoryCollection;

/// <summary>1,000 rule-based attributions: no tensor outlives a call but its result, and the process stays flat.</summary>
[Collection(nameof(RulesMemoryCollection))]
public class RulesMemoryTests(ITestOutputHelper output)
{
    private static long Rss()
    {
        using var p = Process.GetCurrentProcess();
        p.Refresh();
        return p.WorkingSet64;
    }

    [Fact]
    public void Memory_stays_flat_over_1000_calls()
    {
        var model = Cnn();
        var x = Data(1, ScalarType.Float64, 2, 1, 8, 8);
        var distribution = Data(2, ScalarType.Float64, 3, 1, 8, 8);
        AttributionMethod[] methods =
        [
            DeepLift.Default.Baseline(0.1).ReturnDelta(),
            DeepLiftShap.BaselineDistribution(distribution).ReturnDelta(),
            GradientShap.Samples(4).StdDev(0.1).BaselineDistribution(distribution).Seed(3).InternalBatchSize(4).ReturnDelta(),
            GuidedBackprop.Default,
            Deconvolution.Default,
            Lrp.Default.Rule("flatten", LrpRule.Epsilon()).Rule("conv1", LrpRule.Gamma()).ReturnDelta(),
        ];
        foreach (var m in methods) Explain(model).For(1).With(m).Attribute(x).Dispose(); // warm-up
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long liveBefore = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        long rssBefore = Rss();
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < 1000; i++)
        {
            using var a = Explain(model).For(i % 3).With(methods[i % methods.Length]).Attribute(x);
            if (i % 250 == 249) output.WriteLine($"after {i + 1} calls: RSS {Rss() / (1 << 20)} MB, live tensors {DisposeScopeManager.Statistics.ThreadTotalLiveCount - liveBefore:+0;-0;0}");
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long rssAfter = Rss();
        output.WriteLine($"1000 calls in {watch.Elapsed.TotalSeconds:F1} s; RSS {rssBefore / (1 << 20)} MB → {rssAfter / (1 << 20)} MB");
        Assert.Equal(liveBefore, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        Assert.True(rssAfter - rssBefore < 200L << 20, $"RSS grew by {(rssAfter - rssBefore) >> 20} MB");
        Assert.Equal(0, HookCount(model));
    }
}
