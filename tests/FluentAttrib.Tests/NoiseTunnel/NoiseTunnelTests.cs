using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.NoiseTunnelMethod;

public class NoiseTunnelTests
{
    [Fact]
    public void Invalid_settings_throw_when_built()
    {
        Assert.Equal("inner", Assert.Throws<ArgumentNullException>(() => NoiseTunnel.SmoothGrad(null!)).ParamName);
        Assert.Equal("type", Assert.Throws<ArgumentOutOfRangeException>(() => NoiseTunnel.Create(Saliency.Default, (NoiseTunnelType)9)).ParamName);
        var nt = NoiseTunnel.SmoothGrad(Saliency.Default);
        Assert.Equal("samples", Assert.Throws<ArgumentOutOfRangeException>(() => nt.Samples(0)).ParamName);
        Assert.Equal("examples", Assert.Throws<ArgumentOutOfRangeException>(() => nt.InternalBatchSize(0)).ParamName);
        Assert.Equal("stdDevs", Assert.Throws<ArgumentOutOfRangeException>(() => nt.StdDev(-0.1)).ParamName);
        Assert.Equal("stdDevs", Assert.Throws<ArgumentOutOfRangeException>(() => nt.StdDev(double.NaN)).ParamName);
        Assert.Equal("stdDevs", Assert.Throws<ArgumentOutOfRangeException>(() => nt.StdDevs(0.1, double.PositiveInfinity)).ParamName);
        Assert.Equal("stdDevs", Assert.Throws<ArgumentException>(() => nt.StdDevs()).ParamName);
    }

    [Fact]
    public void Defaults_are_captums()
    {
        var nt = NoiseTunnel.SmoothGrad(Saliency.Default);
        Assert.Equal(5, nt.Settings.Samples);
        Assert.Equal(new[] { 1.0 }, nt.Settings.StdDevs.ToArray());
        Assert.Null(nt.Settings.InternalBatchSize);
        Assert.Null(nt.Settings.Seed);
        Assert.False(nt.Settings.DrawBaselineFromDistribution);
        Assert.Equal(NoiseTunnelType.SmoothGrad, nt.Type);
    }

    [Fact]
    public void Settings_are_read_back_by_the_setters_names()
    {
        var nt = NoiseTunnel.VarGrad(Saliency.Signed).Samples(9).StdDevs(0.1, 0.2).InternalBatchSize(3).Seed(4).DrawBaselineFromDistribution();
        var settings = nt.Settings;
        Assert.Equal(9, settings.Samples);
        Assert.Equal(new[] { 0.1, 0.2 }, settings.StdDevs.ToArray());
        Assert.Equal(3, settings.InternalBatchSize);
        Assert.Equal(4L, settings.Seed);
        Assert.True(settings.DrawBaselineFromDistribution);
        Assert.Equal(new[] { 0.3 }, nt.StdDev(0.3).Settings.StdDevs.ToArray());
        Assert.Same(Saliency.Signed, nt.Inner);
        Assert.False(Saliency.Signed.Settings.Absolute);
        Assert.True(Saliency.Default.Settings.Absolute);
        Assert.Equal(Saliency.Default.Absolute(false), Saliency.Signed);
        Assert.Equal(NoiseTunnelType.VarGrad, nt.Type);
    }

    [Fact]
    public void A_standard_deviation_per_input_must_match_the_inputs()
    {
        using var scope = NewDisposeScope();
        var nt = NoiseTunnel.SmoothGrad(Saliency.Default).StdDevs(0.1, 0.2, 0.3);
        var e = Assert.Throws<ArgumentException>(() =>
            Explain((Tensor a, Tensor b) => a.sum(dim: 1) * b.sum(dim: 1)).With(nt)
                .Attribute(ones(2, 3, dtype: ScalarType.Float64), ones(2, 2, dtype: ScalarType.Float64)));
        Assert.Equal("stdDevs", e.ParamName);
    }

    [Fact]
    public void Noise_on_integer_inputs_is_refused()
    {
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() =>
            Explain((Tensor t) => t.to(ScalarType.Float64).sum(dim: 1)).With(NoiseTunnel.SmoothGrad(KernelShap.Samples(4)).StdDev(0.5))
                .Attribute(ones(2, 3, dtype: ScalarType.Int64)));
        Assert.Equal("inputs", e.ParamName);
    }

    [Theory]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float32)]
    public void Zero_noise_gives_the_wrapped_method(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Mlp(dtype);
        var x = TinyModels.Inputs(dtype);
        var target = Target.PerExample(0, 2, 1);
        var ig = IntegratedGradients.Steps(8).Baseline(tensor(new double[] { 0.1, 0.2, 0.3, -0.1, -0.2, -0.3, 0.5, 0.5, 0.5, 0, 0, 1 }).reshape(2, 6).to(dtype)[..1]);
        var inner = Explain(model).For(target).With(ig).Attribute(x).Value;
        var run = Explain(model).For(target);
        var smooth = run.With(NoiseTunnel.SmoothGrad(ig).StdDev(0).Samples(4).InternalBatchSize(3)).Attribute(x).Value;
        var squared = run.With(NoiseTunnel.SmoothGradSquared(ig).StdDev(0).Samples(3)).Attribute(x).Value;
        var variance = run.With(NoiseTunnel.VarGrad(ig).StdDev(0).Samples(3)).Attribute(x).Value;
        Assert.Equal(dtype, smooth.dtype);
        double tolerance = dtype == ScalarType.Float64 ? 1e-12 : 1e-5;
        Assert.True(TinyModels.MaxAbsDiff(smooth, inner) < tolerance);
        Assert.True(TinyModels.MaxAbsDiff(squared, inner * inner) < tolerance);
        Assert.True(TinyModels.MaxAbsDiff(variance, zeros_like(inner)) < tolerance);
    }

    [Fact]
    public void Per_example_baselines_and_additional_arguments_follow_the_noisy_copies()
    {
        using var scope = NewDisposeScope();
        // f(x; s) = s · tanh(x)·w with a per-example scale s; IG from per-example baselines.
        var w = tensor(new double[] { 1, -1, 2, 0.5, -0.5, 1.5 });
        var x = TinyModels.Inputs();
        var s = tensor(new double[] { 1.0, -2.0, 0.5 }).reshape(3, 1);
        var baselines = x * 0.3 - 0.1;
        var ig = IntegratedGradients.Steps(6).Baseline(baselines).ReturnDelta();
        var run = Explain((Tensor a, Tensor scale) => (a.tanh() * w).sum(dim: 1) * scale.squeeze(1)).With(NoiseTunnel.SmoothGrad(ig).StdDev(0).Samples(4).InternalBatchSize(3))
            .WithAdditionalArguments(s);
        var smooth = run.Attribute(x);
        var inner = Explain((Tensor a, Tensor scale) => (a.tanh() * w).sum(dim: 1) * scale.squeeze(1)).With(ig).WithAdditionalArguments(s).Attribute(x);
        Assert.True(TinyModels.MaxAbsDiff(smooth.Value, inner.Value) < 1e-12);
        // One delta per noisy copy, passes concatenated in order (3 copies per example, then 1), each pass example-major.
        Assert.NotNull(smooth.Delta);
        Assert.Equal(new long[] { 12 }, smooth.Delta!.shape);
        var expectedDelta = cat([inner.Delta!.repeat_interleave(3, dim: 0), inner.Delta!], 0);
        Assert.True(TinyModels.MaxAbsDiff(smooth.Delta!, expectedDelta) < 1e-12);
    }

    [Fact]
    public void Per_example_feature_masks_of_the_wrapped_method_follow_the_noisy_copies()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Linear();
        var x = TinyModels.Inputs();
        var masks = tensor(new long[]
        {
            0, 0, 1, 1, 2, 2,
            0, 1, 2, 0, 1, 2,
            0, 0, 0, 1, 1, 1,
        }).reshape(3, 6);
        var ks = KernelShap.Samples(12).Mask(masks);
        var direct = Explain(model).For(0).With(ks).Attribute(x).Value;
        var tunnel = Explain(model).For(0).With(NoiseTunnel.SmoothGrad(ks).StdDev(0).Samples(2)).Attribute(x).Value;
        Assert.True(TinyModels.MaxAbsDiff(direct, tunnel) < 1e-9);
        var effect = TinyModels.LinearWeights(model)[0] * x;
        Assert.True(TinyModels.MaxAbsDiff(direct[1], (effect[1].reshape(2, 3).sum(dim: 0)).repeat(2)) < 1e-9);
    }

    [Fact]
    public void Baselines_can_be_drawn_from_a_distribution()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Linear();
        var x = TinyModels.Inputs();
        var w = TinyModels.LinearWeights(model)[0];
        // Five reference rows, all equal: every draw gives IG = w·(x − b) on the linear model.
        var reference = tensor(new double[] { 0.5, -0.5, 0.25, 0, 1, -1 }).reshape(1, 6).expand(5, 6).contiguous();
        NoiseTunnel Drawing(Tensor rows) =>
            NoiseTunnel.SmoothGrad(IntegratedGradients.Steps(4).Baseline(rows)).StdDev(0).Samples(3).DrawBaselineFromDistribution().Seed(1);
        var a = Explain(model).For(0).With(Drawing(reference)).Attribute(x).Value;
        Assert.True(TinyModels.MaxAbsDiff(a, w * (x - reference[..1])) < 1e-12);

        // Rows 0 and 1: each copy uses one of them, so per example the mean baseline is 0, 1/3, 2/3 or 1.
        var rows = tensor(new double[] { 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1 }).reshape(2, 6);
        var b = Explain(model).For(0).With(Drawing(rows)).Attribute(x).Value;
        var meanBaseline = (w * x - b) / w;
        var perExample = meanBaseline[.., 0];
        Assert.True(TinyModels.MaxAbsDiff(meanBaseline, perExample.unsqueeze(1).expand(3, 6)) < 1e-12);
        foreach (var v in perExample.data<double>())
        {
            Assert.InRange(v, -1e-12, 1 + 1e-12);
            Assert.Equal(Math.Round(v * 3), v * 3, 9);
        }
    }

    [Fact]
    public void Seed_makes_the_noise_repeatable()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Mlp(ScalarType.Float32);
        var x = TinyModels.Inputs(ScalarType.Float32);
        var nt = NoiseTunnel.VarGrad(Saliency.Signed).StdDev(0.3).Samples(6).Seed(5);
        var first = Explain(model).For(1).With(nt).Attribute(x).Value;
        Assert.Equal(ScalarType.Float32, first.dtype);
        Assert.True(TinyModels.MaxAbsDiff(first, Explain(model).For(1).With(nt).Attribute(x).Value) < 1e-6); // BLAS threading may round differently
        Assert.True(TinyModels.MaxAbsDiff(first, Explain(model).For(1).With(nt.Seed(6)).Attribute(x).Value) > 1e-4);
    }

    [Fact]
    public void Smoothgrad_of_a_linear_model_is_its_gradient_whatever_the_noise()
    {
        using var scope = NewDisposeScope();
        var model = TinyModels.Linear();
        var a = Explain(model).For(2).With(NoiseTunnel.SmoothGrad(Saliency.Signed).StdDevs(0.7).Samples(7).InternalBatchSize(2)).Attribute(TinyModels.Inputs()).Value;
        var w = TinyModels.LinearWeights(model)[2];
        Assert.True(TinyModels.MaxAbsDiff(a, w.expand(3, 6)) < 1e-12);
    }

    [Fact]
    public void Reports_one_progress_step_per_pass_and_stops_when_cancelled()
    {
        using var scope = NewDisposeScope();
        var reports = new List<AttributionProgress>();
        var run = Explain(TinyModels.Linear()).For(0).With(NoiseTunnel.SmoothGrad(Saliency.Default).Samples(5).InternalBatchSize(2))
            .WithProgress(new SyncProgress(reports.Add));
        run.Attribute(TinyModels.Inputs());
        Assert.Equal([1, 2, 3], reports.Select(r => r.Completed));
        Assert.All(reports, r => Assert.Equal("NoiseTunnel", r.Method));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => run.WithCancellation(cts.Token).Attribute(TinyModels.Inputs()));
    }

    private sealed class SyncProgress(Action<AttributionProgress> report) : IProgress<AttributionProgress>
    {
        public void Report(AttributionProgress value) => report(value);
    }
}
