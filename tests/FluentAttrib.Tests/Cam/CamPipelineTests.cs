using TorchSharp;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Cam;

/// <summary>
/// The steps around the per-layer map: resize with half-pixel centres, several layers, aug_smooth, batches of any size,
/// 3-D activations, reshape transforms for token and channels-last layers, progress and cancellation.
/// </summary>
public class CamPipelineTests
{
    /// <summary>A module that applies a function (so a test model can rearrange tensors between hooked layers).</summary>
    private sealed class Lambda(string name, Func<Tensor, Tensor> f) : nn.Module<Tensor, Tensor>(name)
    {
        public override Tensor forward(Tensor input) => f(input);
    }

    private static nn.Module<Tensor, Tensor> Pooled(int channels, int classes, long seed)
    {
        manual_seed(seed);
        var model = nn.Sequential(
            ("conv", nn.Conv2d(channels, 3, 3, padding: 1)), ("relu", nn.ReLU()), ("pool", nn.AvgPool2d(2)),
            ("gap", nn.AdaptiveAvgPool2d(1)), ("flat", nn.Flatten()), ("fc", nn.Linear(3, classes)));
        model.to(ScalarType.Float64).eval();
        return model;
    }

    private static double[] Scale(double[] m)
    {
        double min = m.Min();
        var s = m.Select(v => v - min).ToArray();
        double max = s.Max();
        return s.Select(v => v / (1e-7 + max)).ToArray();
    }

    /// <summary>OpenCV's INTER_LINEAR along one axis: half-pixel centres, clamped at the borders.</summary>
    private static double[] Resize1(double[] src, int n)
    {
        var r = new double[n];
        for (int d = 0; d < n; d++)
        {
            double f = (d + 0.5) * src.Length / n - 0.5;
            int s = (int)Math.Floor(f);
            double t = f - s;
            if (s < 0) { s = 0; t = 0; }
            if (s >= src.Length - 1) { s = src.Length - 1; t = 0; }
            r[d] = t == 0 ? src[s] : (1 - t) * src[s] + t * src[s + 1];
        }
        return r;
    }

    private static double[] Resize2(double[] src, int h, int w, int outH, int outW)
    {
        var rows = Enumerable.Range(0, h).Select(i => Resize1(src.Skip(i * w).Take(w).ToArray(), outW)).ToArray();
        var result = new double[outH * outW];
        for (int j = 0; j < outW; j++)
        {
            var col = Resize1(rows.Select(r => r[j]).ToArray(), outH);
            for (int i = 0; i < outH; i++) result[i * outW + j] = col[i];
        }
        return result;
    }

    [Fact]
    public void Map_is_the_scaled_raw_map_resized_with_half_pixel_centres_on_a_non_square_input()
    {
        using var scope = NewDisposeScope();
        var model = Pooled(2, 3, 1);
        manual_seed(2);
        var x = randn(2, 2, 6, 10, dtype: ScalarType.Float64);
        var e = Explain(model).For(Target.PerExample(0, 2)).At("pool");
        var raw = e.With(GradCam.Default.Output(CamOutput.Raw)).Attribute(x).Value;     // (2, 3, 5)
        var map = e.With(GradCam.Default).Attribute(x).Value;
        Assert.Equal([2L, 6, 10], map.shape);
        for (int b = 0; b < 2; b++)
        {
            var r = raw[b].data<double>().Select(v => Math.Max(v, 0)).ToArray();
            var expected = Scale(Resize2(Scale(r), 3, 5, 6, 10));
            var got = map[b].data<double>().ToArray();
            for (int i = 0; i < got.Length; i++) Assert.True(Math.Abs(got[i] - expected[i]) < 1e-12, $"example {b}, pixel {i}: {got[i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void Several_layers_are_scaled_resized_averaged_and_scaled_again()
    {
        using var scope = NewDisposeScope();
        var model = Pooled(2, 3, 3);
        manual_seed(4);
        var x = randn(2, 2, 8, 8, dtype: ScalarType.Float64);
        var t = Explain(model).For(Target.PerExample(1, 0));
        var both = t.At("relu", "pool").With(LayerCam.Default).Attribute(x).Value;
        var raws = t.At("relu", "pool").With(LayerCam.Default.Output(CamOutput.Raw)).Attribute(x).Values;
        Assert.Equal(2, raws.Count);
        for (int b = 0; b < 2; b++)
        {
            var a = Scale((raws[0][b].data<double>().Select(v => Math.Max(v, 0)).ToArray()));
            var p = Resize2(Scale(raws[1][b].data<double>().Select(v => Math.Max(v, 0)).ToArray()), 4, 4, 8, 8);
            var expected = Scale(a.Zip(p, (u, v) => (u + v) / 2).ToArray());
            var got = both[b].data<double>().ToArray();
            for (int i = 0; i < got.Length; i++) Assert.True(Math.Abs(got[i] - expected[i]) < 1e-12);
        }
    }

    [Fact]
    public void AugSmooth_averages_the_six_flipped_and_scaled_passes()
    {
        using var scope = NewDisposeScope();
        var model = Pooled(1, 2, 5);
        manual_seed(6);
        var x = randn(2, 1, 8, 8, dtype: ScalarType.Float64);
        var e = Explain(model).At("relu");              // no target: each pass explains its own top class
        var smooth = e.With(GradCamPlusPlus.Default.AugSmooth()).Attribute(x).Value;
        Tensor sum = zeros(2, 8, 8, dtype: ScalarType.Float64);
        foreach (bool flip in new[] { false, true })
            foreach (double f in new[] { 0.9, 1.0, 1.1 })
            {
                var xa = x * f;
                if (flip) xa = xa.flip(-1);
                var cam = e.With(GradCamPlusPlus.Default).Attribute(xa).Value;
                sum += flip ? cam.flip(-1) : cam;
            }
        Assert.True(smooth.allclose(sum / 6, rtol: 0, atol: 1e-12));
        Assert.True(GradCamPlusPlus.Default.AugSmooth().Settings.AugSmooth);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public void Every_example_of_a_batch_of_any_size_is_its_own_map(int batch)
    {
        using var scope = NewDisposeScope();
        var model = Pooled(2, 4, 7);
        manual_seed(8);
        var x = randn(batch, 2, 8, 8, dtype: ScalarType.Float64);
        var classes = Enumerable.Range(0, batch).Select(i => (long)(i % 4)).ToArray();
        CamMethod[] methods = [GradCam.Default, ScoreCam.Default.PerturbationsPerPass(2), AblationCam.Default.PerturbationsPerPass(2), EigenGradCam.Default.GradCamQuirks(false)];
        foreach (var m in methods)
        {
            var all = Explain(model).For(Target.PerExample(classes)).At("conv").With(m).Attribute(x).Value;
            for (int b = 0; b < batch; b++)
            {
                var one = Explain(model).For(classes[b]).At("conv").With(m).Attribute(x.narrow(0, b, 1)).Value;
                Assert.True(all[b].allclose(one[0], rtol: 0, atol: 1e-9), $"{m.Name}, example {b}");
            }
        }
    }

    [Fact]
    public void Volume_activations_give_a_volume_map()
    {
        using var scope = NewDisposeScope();
        manual_seed(9);
        var model = nn.Sequential(("conv", nn.Conv3d(1, 3, 3, padding: 1)), ("relu", nn.ReLU()), ("pool", nn.AvgPool3d(2)),
            ("gap", nn.AdaptiveAvgPool3d(1)), ("flat", nn.Flatten()), ("fc", nn.Linear(3, 2)));
        model.to(ScalarType.Float64).eval();
        var x = randn([2, 1, 4, 6, 8], dtype: ScalarType.Float64);
        var e = Explain(model).For(Target.PerExample(1, 0));
        var map = e.At("pool").With(GradCam.Default).Attribute(x).Value;
        Assert.Equal([2L, 4, 6, 8], map.shape);
        Assert.True(map.min().item<double>() >= 0 && map.max().item<double>() <= 1);
        var raw = e.At("relu").With(HiResCam.Default.Output(CamOutput.Raw)).Attribute(x).Value;
        var captum = e.At("relu").With(LayerGradientXActivation.Default).Attribute(x).Value.sum(dim: 1);
        Assert.True(raw.allclose(captum, rtol: 0, atol: 1e-13));
        // Same resolution: the map is the scaled raw map, scaled again (no resize).
        var gradcamRelu = e.At("relu").With(GradCam.Default).Attribute(x).Value;
        var rawRelu = e.At("relu").With(GradCam.Default.Output(CamOutput.Raw)).Attribute(x).Value;
        for (int b = 0; b < 2; b++)
        {
            var expected = Scale(Scale(rawRelu[b].data<double>().Select(v => Math.Max(v, 0)).ToArray()));
            var got = gradcamRelu[b].data<double>().ToArray();
            for (int i = 0; i < got.Length; i++) Assert.True(Math.Abs(got[i] - expected[i]) < 1e-12);
        }
    }

    /// <summary>
    /// A toy vision transformer: the image's feature map ("feat", (B, C, 4, 6)) becomes 24 tokens after a learned class
    /// token ("tokens", (B, 25, C)), then a channels-last copy ("nhwc", (B, 4, 6, C)) and a head on the mean token.
    /// </summary>
    private sealed class ToyVit : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> stem;
        private readonly nn.Module<Tensor, Tensor> feat;
        private readonly nn.Module<Tensor, Tensor> tokens;
        private readonly nn.Module<Tensor, Tensor> nhwc;
        private readonly nn.Module<Tensor, Tensor> head;
        private readonly TorchSharp.Modules.Parameter cls;

        public ToyVit() : base(nameof(ToyVit))
        {
            stem = nn.Conv2d(2, 3, 3, padding: 1);
            feat = nn.ReLU();
            tokens = nn.Identity();
            nhwc = nn.Identity();
            head = nn.Linear(3, 4);
            cls = nn.Parameter(randn(1, 1, 3));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var f = feat.call(stem.call(x));                                              // (B, 3, 4, 6)
            var t = f.flatten(2).transpose(1, 2);                                          // (B, 24, 3)
            t = tokens.call(cat([cls.expand(t.shape[0], 1, 3), t], 1));                   // (B, 25, 3)
            var grid = nhwc.call(t.narrow(1, 1, 24).reshape(t.shape[0], 4, 6, 3));         // (B, 4, 6, 3)
            return head.call(grid.mean([1L, 2L]) + t[.., 0] * 0.1);
        }
    }

    [Fact]
    public void Token_and_channels_last_layers_with_a_reshape_give_the_map_of_the_image_layout()
    {
        using var scope = NewDisposeScope();
        manual_seed(10);
        var model = new ToyVit();
        model.to(ScalarType.Float64).eval();
        var x = randn(2, 2, 4, 6, dtype: ScalarType.Float64);
        var e = Explain(model).For(Target.PerExample(3, 1));
        Layer tokens = new Layer("tokens").Reshaped(LayerReshape.Tokens(4, 6));
        Layer nhwc = new Layer("nhwc").Reshaped(LayerReshape.ChannelsLast);
        Assert.NotNull(tokens.Reshape);
        CamMethod[] methods = [GradCam.Default, HiResCam.Default, ScoreCam.Default, AblationCam.Default.PerturbationsPerPass(5), EigenCam.Default];
        foreach (var m in methods)
        {
            var image = e.At("feat").With(m.Output(CamOutput.Raw)).Attribute(x).Value;
            foreach (var layer in new[] { tokens, nhwc })
            {
                var reshaped = e.At(layer).With(m.Output(CamOutput.Raw)).Attribute(x).Value;
                bool same = reshaped.allclose(image, rtol: 1e-9, atol: 1e-9);
                bool flipped = m is EigenCam && reshaped.allclose(-image, rtol: 1e-9, atol: 1e-9);
                Assert.True(same || flipped, $"{m.Name} at {layer}");
            }
        }
        // Without the reshape the token layer is refused with a typed message.
        var ex = Assert.Throws<InvalidOperationException>(() => e.At("tokens").With(GradCam.Default).Attribute(x));
        Assert.Contains("LayerReshape", ex.Message);
        Assert.Throws<InvalidOperationException>(() => e.At(new Layer("tokens").Reshaped(LayerReshape.Tokens(5, 5))).With(GradCam.Default).Attribute(x));
    }

    [Fact]
    public void ScoreCam_and_AblationCam_report_progress_and_stop_when_cancelled()
    {
        using var scope = NewDisposeScope();
        var model = Pooled(2, 3, 11);
        var x = randn(2, 2, 8, 8, dtype: ScalarType.Float64);
        foreach (CamMethod m in new CamMethod[] { ScoreCam.Default.PerturbationsPerPass(1), AblationCam.Default.PerturbationsPerPass(1) })
        {
            var reports = new List<AttributionProgress>();
            Explain(model).For(1).At("conv").With(m).WithProgress(new SyncProgress(reports.Add)).Attribute(x);
            Assert.Equal(6, reports.Count);                                   // 2 examples × 3 channels, one per pass
            Assert.Equal(6, reports[^1].Completed);
            using var cts = new CancellationTokenSource();
            int seen = 0;
            Assert.ThrowsAny<OperationCanceledException>(() =>
                Explain(model).For(1).At("conv").With(m).WithProgress(new SyncProgress(_ => { if (++seen == 2) cts.Cancel(); }))
                    .WithCancellation(cts.Token).Attribute(x));
            Assert.Equal(2, seen);
        }
    }

    private sealed class SyncProgress(Action<AttributionProgress> report) : IProgress<AttributionProgress>
    {
        public void Report(AttributionProgress value) => report(value);
    }

    [Fact]
    public void Settings_read_back_and_bad_settings_are_refused()
    {
        var m = AblationCam.Default.ChannelRatio(0.25).PerturbationsPerPass(8).EigenSmooth().GradCamQuirks(false).Output(CamOutput.Weights);
        Assert.Equal(0.25, m.Settings.ChannelRatio);
        Assert.Equal(8, m.Settings.PerturbationsPerPass);
        Assert.True(m.Settings.EigenSmooth);
        Assert.False(m.Settings.GradCamQuirks);
        Assert.Equal(CamOutput.Weights, m.Settings.Output);
        Assert.Equal(m, AblationCam.Default.ChannelRatio(0.25).PerturbationsPerPass(8).EigenSmooth().GradCamQuirks(false).Output(CamOutput.Weights));
        Assert.Throws<ArgumentOutOfRangeException>(() => AblationCam.Default.ChannelRatio(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => AblationCam.Default.ChannelRatio(1.5));
        var ex = Assert.Throws<ArgumentException>(() => HiResCam.Default.Output(CamOutput.Weights));
        Assert.Equal("output", ex.ParamName);
        Assert.Throws<ArgumentException>(() => FullGrad.Default.Output(CamOutput.Weights));
        Assert.Throws<ArgumentOutOfRangeException>(() => GradCam.Default.Output((CamOutput)7));
        Assert.Equal("AblationCAM(eigen smooth, weights, textbook, ratio 0.25)", m.Describe());
    }

    [Fact]
    public void Inputs_and_targets_that_cannot_work_are_refused_with_the_argument_named()
    {
        using var scope = NewDisposeScope();
        var model = Pooled(2, 3, 12);
        var x = randn(2, 2, 8, 8, dtype: ScalarType.Float64);
        var flat = Assert.Throws<ArgumentException>(() => Explain(model).For(1).At("conv").With(GradCam.Default).Attribute(x.reshape(2, 128)));
        Assert.Equal("inputs", flat.ParamName);
        // A segmentation-shaped output without a target: pytorch-grad-cam builds unusable targets; here a typed error.
        var seg = nn.Sequential(("conv", nn.Conv2d(2, 3, 1)));
        seg.to(ScalarType.Float64).eval();
        var none = Assert.Throws<ArgumentException>(() => Explain(seg).At("conv").With(GradCam.Default).Attribute(x));
        Assert.Equal("target", none.ParamName);
        // FullGrad explains a module, and needs at least 8×8 pixels with EigenSmooth.
        var small = Assert.Throws<ArgumentException>(() => Explain(model).For(1).With(FullGrad.Default.EigenSmooth()).Attribute(x.narrow(2, 0, 4).narrow(3, 0, 4)));
        Assert.Equal("inputs", small.ParamName);
        var function = Assert.Throws<ArgumentException>(() => Explain((Tensor t) => model.call(t)).For(1).With(FullGrad.Default).Attribute(x));
        Assert.Equal("model", function.ParamName);
    }
}
