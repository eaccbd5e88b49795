using TorchSharp;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Cam;

/// <summary>
/// Each CAM method on a model small enough to compute by hand: the layer "feat" is the input itself (an identity), and
/// the head is one linear map of the flattened (C, h, w) layer, so ∂score_k/∂A = W_k reshaped and every weight, map and
/// score below is a few lines of arithmetic on plain arrays. Batches of three examples with different targets.
/// </summary>
public class CamMethodTests
{
    private const int C = 2, H = 2, W = 2, K = 3, B = 3;

    private static (nn.Module<Tensor, Tensor> Model, double[,] Fc, double[] Bias) Model()
    {
        var model = nn.Sequential(("feat", nn.Identity()), ("flat", nn.Flatten()), ("fc", nn.Linear(C * H * W, K)));
        model.to(ScalarType.Float64);
        var fc = new double[K, C * H * W];
        var bias = new double[K];
        for (int k = 0; k < K; k++)
        {
            bias[k] = 0.1 * (k + 1);
            for (int j = 0; j < C * H * W; j++) fc[k, j] = Math.Sin(1.3 * k + 0.7 * j + 0.2) + (j % 3 == 0 ? 0.4 : -0.1);
        }
        using (no_grad())
        {
            var linear = (TorchSharp.Modules.Linear)model.named_children().Single(c => c.name == "fc").module;
            linear.weight!.copy_(tensor(Flatten2(fc), [K, C * H * W], ScalarType.Float64));
            linear.bias!.copy_(tensor(bias, ScalarType.Float64));
        }
        model.eval();
        return (model, fc, bias);
    }

    private static double[] Flatten2(double[,] a) => a.Cast<double>().ToArray();

    /// <summary>Three positive inputs (B, C, H, W) with distinct patterns, as a flat array and a tensor.</summary>
    private static (double[] X, Tensor T) Input()
    {
        var x = new double[B * C * H * W];
        for (int i = 0; i < x.Length; i++) x[i] = 0.2 + Math.Abs(Math.Cos(0.9 * i + 0.3));
        return (x, tensor(x, [B, C, H, W], ScalarType.Float64));
    }

    private static readonly long[] Classes = [0, 2, 1];

    private static double A(double[] x, int b, int c, int p) => x[(b * C + c) * H * W + p];
    private static double G(double[,] fc, int b, int c, int p) => fc[Classes[b], c * H * W + p];

    private static double Score(double[,] fc, double[] bias, double[] x, int b, int k)
    {
        double s = bias[k];
        for (int j = 0; j < C * H * W; j++) s += fc[k, j] * x[b * C * H * W + j];
        return s;
    }

    private static double[] ScaleRef(double[] m)
    {
        double min = m.Min();
        var shifted = m.Select(v => v - min).ToArray();
        double max = shifted.Max();
        return shifted.Select(v => v / (1e-7 + max)).ToArray();
    }

    /// <summary>pytorch-grad-cam's map for one example from its raw map (one layer, same size): scale(ReLU), then scale again.</summary>
    private static double[] MapRef(double[] raw) => ScaleRef(ScaleRef(raw.Select(v => Math.Max(v, 0)).ToArray()));

    private static void AssertClose(double[] expected, Tensor actual, double tol, string what)
    {
        var a = actual.to(ScalarType.Float64).cpu().data<double>().ToArray();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++)
            Assert.True(Math.Abs(a[i] - expected[i]) <= tol, $"{what}: element {i} is {a[i]:R}, expected {expected[i]:R}");
    }

    private static Attribution Run(CamMethod method, Target? target = null)
    {
        var (model, _, _) = Model();
        var (_, x) = Input();
        return Explain(model).For(target ?? Target.PerExample(Classes)).At("feat").With(method).Attribute(x);
    }

    /// <summary>Raw map from channel weights: Σ_c w[b,c]·A[b,c].</summary>
    private static double[] Weighted(double[] x, Func<int, int, double> w)
    {
        var raw = new double[B * H * W];
        for (int b = 0; b < B; b++)
            for (int p = 0; p < H * W; p++)
                for (int c = 0; c < C; c++) raw[b * H * W + p] += w(b, c) * A(x, b, c, p);
        return raw;
    }

    private static double[] Elementwise(Func<int, int, int, double> term)
    {
        var raw = new double[B * H * W];
        for (int b = 0; b < B; b++)
            for (int p = 0; p < H * W; p++)
                for (int c = 0; c < C; c++) raw[b * H * W + p] += term(b, c, p);
        return raw;
    }

    private static double[] PerExample(double[] raw, Func<double[], double[]> f) =>
        Enumerable.Range(0, B).SelectMany(b => f(raw.Skip(b * H * W).Take(H * W).ToArray())).ToArray();

    private static void AssertMethod(CamMethod method, double[] expectedRaw, double[]? expectedWeights = null)
    {
        using var scope = NewDisposeScope();
        var raw = Run(method.Output(CamOutput.Raw));
        AssertClose(expectedRaw, raw.Value, 1e-12, method.Name + " raw");
        var map = Run(method);
        Assert.Equal([B, H, W], map.Value.shape);
        AssertClose(PerExample(expectedRaw, MapRef), map.Value, 1e-12, method.Name + " map");
        if (expectedWeights is not null) AssertClose(expectedWeights, Run(method.Output(CamOutput.Weights)).Value, 1e-12, method.Name + " weights");
    }

    [Fact]
    public void GradCam_weights_are_the_mean_gradient()
    {
        var (_, fc, _) = Model();
        var (x, _) = Input();
        double Wt(int b, int c) => Enumerable.Range(0, H * W).Average(p => G(fc, b, c, p));
        var weights = Enumerable.Range(0, B).SelectMany(b => Enumerable.Range(0, C).Select(c => Wt(b, c))).ToArray();
        AssertMethod(GradCam.Default, Weighted(x, Wt), weights);
    }

    [Fact]
    public void GradCam_raw_map_is_captums_LayerGradCam()
    {
        using var scope = NewDisposeScope();
        var (model, _, _) = Model();
        var (_, x) = Input();
        var captum = Explain(model).For(Target.PerExample(Classes)).At("feat").With(LayerGradCam.Default).Attribute(x).Value;
        var ours = Run(GradCam.Default.Output(CamOutput.Raw)).Value;
        Assert.True(ours.allclose(captum.squeeze(1), rtol: 0, atol: 1e-14));
    }

    [Fact]
    public void HiResCam_multiplies_gradient_and_activation_elementwise()
    {
        var (_, fc, _) = Model();
        var (x, _) = Input();
        AssertMethod(HiResCam.Default, Elementwise((b, c, p) => G(fc, b, c, p) * A(x, b, c, p)));
    }

    [Fact]
    public void GradCamElementWise_rectifies_each_product()
    {
        var (_, fc, _) = Model();
        var (x, _) = Input();
        AssertMethod(GradCamElementWise.Default, Elementwise((b, c, p) => Math.Max(0, G(fc, b, c, p) * A(x, b, c, p))));
    }

    [Fact]
    public void LayerCam_rectifies_the_gradient()
    {
        var (_, fc, _) = Model();
        var (x, _) = Input();
        AssertMethod(LayerCam.Default, Elementwise((b, c, p) => Math.Max(0, G(fc, b, c, p)) * A(x, b, c, p)));
    }

    [Fact]
    public void XGradCam_normalises_by_the_activation_sum()
    {
        var (_, fc, _) = Model();
        var (x, _) = Input();
        double Wt(int b, int c)
        {
            double s = Enumerable.Range(0, H * W).Sum(p => A(x, b, c, p));
            return Enumerable.Range(0, H * W).Sum(p => G(fc, b, c, p) * A(x, b, c, p)) / (s + 1e-7);
        }
        AssertMethod(XGradCam.Default, Weighted(x, Wt), Enumerable.Range(0, B).SelectMany(b => Enumerable.Range(0, C).Select(c => Wt(b, c))).ToArray());
    }

    [Fact]
    public void GradCamPlusPlus_uses_the_closed_form_alphas()
    {
        var (_, fc, _) = Model();
        var (x, _) = Input();
        double Wt(int b, int c)
        {
            double s = Enumerable.Range(0, H * W).Sum(p => A(x, b, c, p));
            return Enumerable.Range(0, H * W).Sum(p =>
            {
                double g = G(fc, b, c, p);
                double alpha = g == 0 ? 0 : g * g / (2 * g * g + s * g * g * g + 1e-6);
                return Math.Max(g, 0) * alpha;
            });
        }
        AssertMethod(GradCamPlusPlus.Default, Weighted(x, Wt), Enumerable.Range(0, B).SelectMany(b => Enumerable.Range(0, C).Select(c => Wt(b, c))).ToArray());
    }

    [Fact]
    public void ShapleyCam_equals_GradCam_for_a_linear_head_and_adds_the_hessian_term_for_softmax()
    {
        using var scope = NewDisposeScope();
        var linear = Run(ShapleyCam.Default.Output(CamOutput.Weights)).Value;
        var gradcam = Run(GradCam.Default.Output(CamOutput.Weights)).Value;
        Assert.True(linear.allclose(gradcam, rtol: 0, atol: 1e-14));

        // Softmax target: w = mean(G − ½·H·A); H·A by central differences of the gradient along A.
        var (model, _, _) = Model();
        var (_, x) = Input();
        var target = Target.Softmax(1);
        Tensor Grad(Tensor a)
        {
            using var _ = enable_grad();
            var leaf = a.detach().requires_grad_(true);
            var s = nn.functional.softmax(model.call(leaf), -1)[.., 1].sum();
            return autograd.grad([s], [leaf])[0].detach();
        }
        double eps = 1e-5;
        var hvp = (Grad(x + eps * x) - Grad(x - eps * x)) / (2 * eps);
        var expected = (Grad(x) - 0.5 * hvp).mean([2L, 3L]);
        var shapley = Explain(model).For(target).At("feat").With(ShapleyCam.Default.Output(CamOutput.Weights)).Attribute(x).Value;
        Assert.True(shapley.allclose(expected, rtol: 1e-6, atol: 1e-9), $"{shapley.data<double>().ToArray()[0]} vs {expected.data<double>().ToArray()[0]}");
        Assert.False(shapley.allclose(Grad(x).mean([2L, 3L]), rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void ScoreCam_weights_are_the_softmax_of_the_masked_scores()
    {
        var (_, fc, bias) = Model();
        var (x, _) = Input();
        var weights = new double[B * C];
        for (int b = 0; b < B; b++)
        {
            var scores = new double[C];
            for (int c = 0; c < C; c++)
            {
                // The channel (same size as the input: upsampling is the identity), min–max normalised, masks every input channel.
                var ch = Enumerable.Range(0, H * W).Select(p => A(x, b, c, p)).ToArray();
                double min = ch.Min(), max = ch.Max();
                var mask = ch.Select(v => (v - min) / (max - min + 1e-8)).ToArray();
                var masked = new double[B * C * H * W];
                for (int cc = 0; cc < C; cc++)
                    for (int p = 0; p < H * W; p++) masked[(b * C + cc) * H * W + p] = A(x, b, cc, p) * mask[p];
                scores[c] = (float)Score(fc, bias, masked, b, (int)Classes[b]);
            }
            double z = scores.Max();
            var e = scores.Select(s => (double)(float)Math.Exp(s - z)).ToArray();
            for (int c = 0; c < C; c++) weights[b * C + c] = e[c] / e.Sum();
        }
        var raw = Weighted(x, (b, c) => weights[b * C + c]);
        using var scope = NewDisposeScope();
        AssertClose(weights, Run(ScoreCam.Default.Output(CamOutput.Weights)).Value, 1e-6, "ScoreCAM weights");
        AssertClose(raw, Run(ScoreCam.Default.PerturbationsPerPass(1).Output(CamOutput.Raw)).Value, 1e-5, "ScoreCAM raw");
    }

    [Fact]
    public void AblationCam_weights_are_the_relative_score_drop()
    {
        var (_, fc, bias) = Model();
        var (x, _) = Input();
        // The inputs are positive, so the layer's minimum is not 0: pytorch-grad-cam sets copy k of a chunk to
        // min − (k+1)·1e7. With one copy per chunk every ablated channel gets min − 1e7.
        double[] Expected(int perChunk, bool quirks)
        {
            var w = new double[B * C];
            for (int b = 0; b < B; b++)
            {
                float s = (float)Score(fc, bias, x, b, (int)Classes[b]);
                double min = Enumerable.Range(0, C * H * W).Min(j => x[b * C * H * W + j]);
                for (int c = 0; c < C; c++)
                {
                    int k = c % perChunk;
                    double value = quirks ? min - (k + 1) * 1e7 : 0;
                    var ablated = (double[])x.Clone();
                    for (int p = 0; p < H * W; p++) ablated[(b * C + c) * H * W + p] = value;
                    float sc = (float)Score(fc, bias, ablated, b, (int)Classes[b]);
                    w[b * C + c] = quirks ? (s - sc) / s : (s - sc) / Math.Abs(s);
                }
            }
            return w;
        }
        using var scope = NewDisposeScope();
        foreach (int per in new[] { 1, 2 })
        {
            var w = Expected(per, quirks: true);
            AssertClose(w, Run(AblationCam.Default.PerturbationsPerPass(per).Output(CamOutput.Weights)).Value, 1e-6 * w.Max(Math.Abs), $"quirk, {per} per chunk");
        }
        var textbook = Expected(1, quirks: false);
        AssertClose(textbook, Run(AblationCam.Default.GradCamQuirks(false).Output(CamOutput.Weights)).Value, 1e-6, "textbook");
        var raw = Weighted(x, (b, c) => (float)textbook[b * C + c]);
        AssertClose(raw, Run(AblationCam.Default.GradCamQuirks(false).Output(CamOutput.Raw)).Value, 1e-5, "textbook raw");
    }

    /// <summary>First principal component of a pixels × channels matrix with 2 channels, by the 2×2 covariance.</summary>
    private static double[] Projection(double[][] channels)
    {
        int n = channels[0].Length;
        var centred = channels.Select(ch => { double m = ch.Average(); return ch.Select(v => v - m).ToArray(); }).ToArray();
        double a = centred[0].Sum(v => v * v), d = centred[1].Sum(v => v * v), bb = Enumerable.Range(0, n).Sum(i => centred[0][i] * centred[1][i]);
        double lambda = (a + d) / 2 + Math.Sqrt((a - d) * (a - d) / 4 + bb * bb);
        double vx = bb, vy = lambda - a;
        if (Math.Abs(vx) + Math.Abs(vy) < 1e-300) { vx = lambda - d; vy = bb; }
        double norm = Math.Sqrt(vx * vx + vy * vy);
        return Enumerable.Range(0, n).Select(i => (centred[0][i] * vx + centred[1][i] * vy) / norm).ToArray();
    }

    private static void AssertUpToSign(double[] expected, Tensor actual, string what)
    {
        var a = actual.to(ScalarType.Float64).cpu().data<double>().ToArray();
        for (int b = 0; b < B; b++)
        {
            var e = expected.Skip(b * H * W).Take(H * W).ToArray();
            var got = a.Skip(b * H * W).Take(H * W).ToArray();
            bool same = e.Zip(got).All(t => Math.Abs(t.First - t.Second) <= 1e-6 * (1 + Math.Abs(t.First)));
            bool flipped = e.Zip(got).All(t => Math.Abs(t.First + t.Second) <= 1e-6 * (1 + Math.Abs(t.First)));
            Assert.True(same || flipped, $"{what}: example {b} is neither the projection nor its negation");
        }
    }

    [Fact]
    public void EigenCam_and_EigenGradCam_project_on_the_first_principal_component()
    {
        var (_, fc, _) = Model();
        var (x, _) = Input();
        var eigen = Enumerable.Range(0, B).SelectMany(b => Projection(
            Enumerable.Range(0, C).Select(c => Enumerable.Range(0, H * W).Select(p => A(x, b, c, p)).ToArray()).ToArray())).ToArray();
        var eigenGrad = Enumerable.Range(0, B).SelectMany(b => Projection(
            Enumerable.Range(0, C).Select(c => Enumerable.Range(0, H * W).Select(p => G(fc, b, c, p) * A(x, b, c, p)).ToArray()).ToArray())).ToArray();
        using var scope = NewDisposeScope();
        AssertUpToSign(eigen, Run(EigenCam.Default.Output(CamOutput.Raw), Target.None).Value, "EigenCAM");
        AssertUpToSign(eigenGrad, Run(EigenGradCam.Default.Output(CamOutput.Raw)).Value, "EigenGradCAM");

        // The textbook sign: the largest magnitude is positive.
        var fixedSign = Run(EigenCam.Default.GradCamQuirks(false).Output(CamOutput.Raw), Target.None).Value;
        for (int b = 0; b < B; b++)
            Assert.True(fixedSign[b].max().item<double>() >= -fixedSign[b].min().item<double>());
        // GradCam with EigenSmooth projects w·A.
        var gradcamEigen = Enumerable.Range(0, B).SelectMany(b => Projection(Enumerable.Range(0, C).Select(c =>
            Enumerable.Range(0, H * W).Select(p => Enumerable.Range(0, H * W).Average(q => G(fc, b, c, q)) * A(x, b, c, p)).ToArray()).ToArray())).ToArray();
        AssertUpToSign(gradcamEigen, Run(GradCam.Default.EigenSmooth().Output(CamOutput.Raw)).Value, "GradCAM eigen_smooth");
    }

    [Fact]
    public void FinerCam_without_target_is_GradCam_of_the_finer_target_against_the_closest_classes()
    {
        using var scope = NewDisposeScope();
        var (model, fc, bias) = Model();
        var (x, xt) = Input();
        var targets = new Target[B];
        for (int b = 0; b < B; b++)
        {
            var logits = Enumerable.Range(0, K).Select(k => Score(fc, bias, x, b, k)).ToArray();
            var order = Enumerable.Range(0, K).OrderBy(k => Math.Abs(logits[k] - logits.Max())).ToArray();
            targets[b] = Target.FinerWeighted(order[0], [order[1], order[2]], 0.7);
        }
        var finer = Explain(model).At("feat").With(FinerCam.Default.ComparisonRanks(1, 2).Alpha(0.7).Output(CamOutput.Raw)).Attribute(xt).Value;
        var gradcam = Explain(model).For(Target.PerExampleTargets(targets)).At("feat").With(GradCam.Default.Output(CamOutput.Raw)).Attribute(xt).Value;
        Assert.True(finer.allclose(gradcam, rtol: 0, atol: 1e-14));

        // The finer target through another method (Saliency): its gradient equals that of the formula written by hand,
        // Σ_c p_c·(o_main − α·o_c) / (Σ_c p_c + 1e-9) with p = softmax(o), the gradient flowing through p too.
        var saliency = Explain(model).For(Target.FinerWeighted(2, [0, 1], 0.5)).With(Saliency.Signed).Attribute(xt).Value;
        Tensor byHand;
        using (enable_grad())
        {
            var leaf = xt.detach().requires_grad_(true);
            var o = model.call(leaf);
            var pr = nn.functional.softmax(o, -1);
            var num = pr[.., 0] * (o[.., 2] - 0.5 * o[.., 0]) + pr[.., 1] * (o[.., 2] - 0.5 * o[.., 1]);
            var f = (num / (pr[.., 0] + pr[.., 1] + 1e-9)).sum();
            byHand = autograd.grad([f], [leaf])[0];
        }
        Assert.True(saliency.allclose(byHand, rtol: 0, atol: 1e-13));
    }

    [Fact]
    public void FinerCam_main_class_and_base_method_are_settings()
    {
        using var scope = NewDisposeScope();
        var m = FinerCam.Default.MainClass(1).ComparisonRanks(1, 2).Base(LayerCam.Default);
        Assert.Equal(1, m.Settings.MainClass);
        Assert.Equal(LayerCam.Default, m.Settings.Base);
        Assert.False(m.Settings.Base is GradCam);
        Assert.Throws<ArgumentException>(() => FinerCam.Default.Base(EigenCam.Default));
        Assert.Throws<ArgumentException>(() => FinerCam.Default.ComparisonRanks(0));
        Assert.Throws<ArgumentException>(() => m.Output(CamOutput.Weights));
        var (model, _, _) = Model();
        var (_, x) = Input();
        var map = Explain(model).At("feat").With(m).Attribute(x).Value;
        Assert.Equal([B, H, W], map.shape);
    }
}
