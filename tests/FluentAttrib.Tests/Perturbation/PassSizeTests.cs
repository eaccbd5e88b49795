using FluentAttrib.Tests.Rules;
using TorchSharp;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Perturbation;

/// <summary>
/// A planned pass size (no PerturbationsPerPass given) is checked against the model's largest layer during the first
/// pass: a model whose layers are large per copy gets fewer copies per pass afterwards, a small one keeps the plan;
/// the result does not depend on it and no measuring hook stays on the model.
/// </summary>
public class PassSizeTests
{
    // 3×224×224 float inputs plan 4 copies per pass. Occlusion 112/56 over them: 9 windows + the unoccluded copy = 10.
    private static Tensor Image()
    {
        using var g = new Generator(3);
        return randn([1, 3, 224, 224], generator: g);
    }

    private static nn.Module<Tensor, Tensor> Net(int channels)
    {
        random.manual_seed(5);
        return nn.Sequential(nn.Conv2d(3, channels, 3, padding: 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, 5));
    }

    private static (Attribution Result, List<AttributionProgress> Reports) Run(nn.Module<Tensor, Tensor> model, AttributionMethod method)
    {
        var reports = new List<AttributionProgress>();
        var a = Explain(model).For(2).With(method).WithProgress(new SyncProgress(reports.Add)).Attribute(Image());
        return (a, reports);
    }

    [Fact]
    public void A_model_with_large_layers_gets_fewer_copies_per_pass_after_the_first()
    {
        using var scope = NewDisposeScope();
        // The ReLU after a 128-channel convolution reads and writes 2 × 25.7 MB per copy: one copy per pass fits 64 MB.
        var model = Net(128);
        var occlusion = Occlusion.Window(3, 112, 112).Stride(3, 56, 56);
        var (planned, reports) = Run(model, occlusion);
        Assert.Equal(7, reports.Count);                                       // 4 copies, then 6 passes of 1
        Assert.All(reports, r => Assert.Equal(7, r.Total));
        Assert.Equal(Enumerable.Range(1, 7), reports.Select(r => r.Completed));
        Assert.Equal(0, RulesTestKit.HookCount(model));
        var (fixedSize, fixedReports) = Run(model, occlusion.PerturbationsPerPass(4));
        Assert.Equal(3, fixedReports.Count);                                  // a size the user set is kept
        Assert.True(planned.Value.allclose(fixedSize.Value, rtol: 1e-4, atol: 1e-6));
    }

    [Fact]
    public void A_model_with_small_layers_keeps_the_planned_size()
    {
        using var scope = NewDisposeScope();
        var model = Net(4);
        var (_, reports) = Run(model, Occlusion.Window(3, 112, 112).Stride(3, 56, 56));
        Assert.Equal(3, reports.Count);                                       // 4 + 4 + 2 copies
        Assert.All(reports, r => Assert.Equal(3, r.Total));
        Assert.Equal(0, RulesTestKit.HookCount(model));
    }

    [Fact]
    public void Surrogates_get_fewer_samples_per_pass_after_the_first_too()
    {
        using var scope = NewDisposeScope();
        var model = Net(128);
        // 16 superpixels of 56×56; 10 samples, planned 4 per pass: 4, then 6 passes of 1.
        var cells = arange(224).div(56, rounding_mode: RoundingMode.floor);
        var mask = (cells.unsqueeze(1) * 4 + cells.unsqueeze(0)).reshape(1, 1, 224, 224);
        var kernelShap = KernelShap.Samples(10).Mask(mask).Seed(7);
        var (planned, reports) = Run(model, kernelShap);
        Assert.Equal(7, reports.Count);
        Assert.All(reports, r => Assert.Equal(7, r.Total));
        Assert.Equal(0, RulesTestKit.HookCount(model));
        var (fixedSize, fixedReports) = Run(model, kernelShap.PerturbationsPerPass(4));
        Assert.Equal(3, fixedReports.Count);
        Assert.True(planned.Value.allclose(fixedSize.Value, rtol: 1e-3, atol: 1e-5));
    }

    private sealed class SyncProgress(Action<AttributionProgress> report) : IProgress<AttributionProgress>
    {
        public void Report(AttributionProgress value) => report(value);
    }
}
