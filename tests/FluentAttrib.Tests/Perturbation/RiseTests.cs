using static FluentAttrib.Fluent;
using static FluentAttrib.Tests.Perturbation.PerturbationTestKit;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Perturbation;

public class RiseTests
{
    /// <summary>f(x) = sum of channel 0 over rows 8..15, columns 16..23 of a 32×32 image: the square is all that matters.</summary>
    private static Tensor SquareModel(Tensor x) => x[.., 0, 8..16, 16..24].sum([1, 2]).unsqueeze(1);

    private static readonly bool[,] Square = BuildSquare();

    private static bool[,] BuildSquare()
    {
        var s = new bool[32, 32];
        for (int r = 8; r < 16; r++)
            for (int c = 16; c < 24; c++)
                s[r, c] = true;
        return s;
    }

    [Fact]
    public void Finds_the_region_the_model_reads()
    {
        var x = ones(2, 1, 32, 32);
        using var a = ExplainBlackBox(xs => SquareModel(xs[0]), "the square model").For(0)
            .With(Rise.Samples(1500).GridSize(4).Seed(1)).Attribute(x);
        Assert.Equal(x.shape, a.Value.shape);
        var map = a.Value[0, 0];
        double inside = 0, outside = 0;
        int nIn = 0, nOut = 0;
        var values = map.data<float>().ToArray();
        for (int r = 0; r < 32; r++)
            for (int c = 0; c < 32; c++)
            {
                // Compare the square with pixels at least 8 px away from it (nearby pixels share mask cells with it).
                if (Square[r, c]) { inside += values[r * 32 + c]; nIn++; }
                else if (r >= 24 || c < 8) { outside += values[r * 32 + c]; nOut++; }
            }
        inside /= nIn;
        outside /= nOut;
        Assert.True(inside > 1.3 * outside, $"mean inside {inside:F2}, far outside {outside:F2}");
        // The 64 highest pixels are mostly the square's 64.
        var top = map.flatten().argsort(descending: true)[..64].data<long>().ToArray();
        int hits = top.Count(i => Square[i / 32, i % 32]);
        Assert.True(hits >= 40, $"{hits} of the 64 top pixels are in the square");
    }

    [Fact]
    public void Masks_that_keep_everything_give_the_output_everywhere()
    {
        // p = 1: every cell kept, every upsampled mask is exactly 1, so S = N f(x) · 1 / (N · 1) = f(x) at every element.
        var model = Cnn();
        var x = Data(3, ScalarType.Float64, 3, 2, 6, 7);
        using var a = Explain(model).For(2).With(Rise.Samples(5).KeepProbability(1)).Attribute(x);
        var f = Outputs(model, x, 2);
        for (int b = 0; b < 3; b++)
        {
            var v = a.Value[b];
            Assert.Equal(f[b], v.min().item<double>(), 12);
            Assert.Equal(f[b], v.max().item<double>(), 12);
        }
    }

    [Fact]
    public void Same_seed_same_result_whatever_the_batching()
    {
        var model = Cnn(ScalarType.Float32);
        var x = Data(4, ScalarType.Float32, 2, 2, 6, 7);
        var method = Rise.Samples(40).GridSize(3).Seed(5);
        using var one = Explain(model).For(1).With(method.PerturbationsPerPass(1)).Attribute(x);
        using var seven = Explain(model).For(1).With(method.PerturbationsPerPass(7)).Attribute(x);
        using var planned = Explain(model).For(1).With(method).Attribute(x);
        Assert.True(one.Value.allclose(seven.Value, rtol: 1e-5, atol: 1e-6));
        Assert.True(one.Value.allclose(planned.Value, rtol: 1e-5, atol: 1e-6));
        using var otherSeed = Explain(model).For(1).With(method.Seed(6)).Attribute(x);
        Assert.False(one.Value.allclose(otherSeed.Value, rtol: 1e-3, atol: 1e-4));
    }

    [Fact]
    public void An_example_gets_the_same_result_alone_and_in_a_batch()
    {
        var model = Cnn();
        var x = Data(9, ScalarType.Float64, 3, 2, 6, 7);
        var method = Rise.Samples(30).Seed(2);
        using var batch = Explain(model).For(0).With(method).Attribute(x);
        using var alone = Explain(model).For(0).With(method).Attribute(x[1..2]);
        Assert.True(batch.Value[1..2].allclose(alone.Value, rtol: 1e-10, atol: 1e-12));
    }

    [Fact]
    public void Equals_the_formula_on_its_own_masks_for_a_linear_model()
    {
        // For f(x) = Σ w·x and baseline b: f(b + (x − b)M) is linear in M, so S is Σₙ f(b + (x − b)Mₙ) Mₙ / (N p) for the
        // masks the method drew; rebuilt here from the same generator and compared element by element.
        var w = Data(5, ScalarType.Float64, 1, 1, 5, 6);
        Tensor Linear(Tensor t) => (t * w).sum([1, 2, 3]).unsqueeze(1);
        var x = Data(6, ScalarType.Float64, 1, 1, 5, 6);
        using var a = ExplainBlackBox(xs => Linear(xs[0])).For(0).With(Rise.Samples(12).GridSize(2).KeepProbability(0.4).Seed(3).Baseline(0.5)).Attribute(x);

        using var g = new Generator(3, x.device);
        var masks = RiseMasks.Draw(x, 12, 2, 0.4, g).Build(0, 12).to(ScalarType.Float64); // (12, 1, 5, 6)
        var expected = zeros(1, 1, 5, 6, dtype: ScalarType.Float64);
        for (int n = 0; n < 12; n++)
        {
            var m = masks[n].unsqueeze(0);
            var f = Linear(0.5 + (x - 0.5) * m).item<double>();
            expected += f * m;
        }
        expected /= 12 * 0.4;
        Assert.True(a.Value.allclose(expected, rtol: 1e-12, atol: 1e-12), $"max diff {(a.Value - expected).abs().max().item<double>()}");
    }

    [Fact]
    public void Masks_are_smooth_shifted_and_kept_at_the_given_rate()
    {
        var x = zeros(1, 3, 224, 224);
        using var g = new Generator(0, x.device);
        var masks = RiseMasks.Draw(x, 200, 7, 0.5, g).Build(0, 200);
        Assert.Equal([200L, 1, 224, 224], masks.shape);
        Assert.InRange(masks.min().item<float>(), 0f, 1f);
        Assert.InRange(masks.max().item<float>(), 0f, 1f);
        Assert.InRange(masks.mean().item<float>(), 0.45f, 0.55f);
        // Bilinear upsampling: values strictly between 0 and 1 exist (smooth edges).
        Assert.True(masks.gt(0.05).logical_and(masks.lt(0.95)).any().item<bool>());
        // Random shifts: two masks with the same grid are rarely aligned, so the masks differ in their edge positions.
        Assert.False(masks[0].allclose(masks[1]));
    }

    [Fact]
    public void Invalid_settings_and_inputs_are_rejected()
    {
        Assert.Equal("cells", Assert.Throws<ArgumentOutOfRangeException>(() => Rise.Default.GridSize(0)).ParamName);
        Assert.Equal("probability", Assert.Throws<ArgumentOutOfRangeException>(() => Rise.Default.KeepProbability(0)).ParamName);
        Assert.Equal("probability", Assert.Throws<ArgumentOutOfRangeException>(() => Rise.Default.KeepProbability(1.5)).ParamName);
        Assert.Equal("probability", Assert.Throws<ArgumentOutOfRangeException>(() => Rise.Default.KeepProbability(double.NaN)).ParamName);
        Assert.Equal("samples", Assert.Throws<ArgumentOutOfRangeException>(() => Rise.Samples(0)).ParamName);
        var e = Assert.Throws<ArgumentException>(() => Explain(Mlp()).For(0).With(Rise.Samples(4)).Attribute(Data(1, ScalarType.Float64, 2, 6)));
        Assert.Equal("inputs", e.ParamName);
        Assert.Contains("spatial", e.Message);
    }

    [Fact]
    public void Settings_are_read_back_by_the_setters_names()
    {
        var d = Rise.Default.Settings;
        Assert.Equal(Defaults.RiseSamples, d.Samples);
        Assert.Equal(Defaults.RiseGridSize, d.GridSize);
        Assert.Equal(Defaults.RiseKeepProbability, d.KeepProbability);
        Assert.Null(d.Seed);
        var s = Rise.Samples(10).GridSize(5).KeepProbability(0.25).Seed(4).PerturbationsPerPass(3).Settings;
        Assert.Equal((10, 5, 0.25, 4L, 3), (s.Samples, s.GridSize, s.KeepProbability, s.Seed!.Value, s.PerturbationsPerPass!.Value));
        Assert.Equal(Rise.Samples(10).GridSize(5), Rise.Default.GridSize(5).Samples(10));
    }

    [Fact]
    public void Black_boxes_refuse_gradient_methods_before_the_first_pass()
    {
        int calls = 0;
        var box = ExplainBlackBox(xs => { calls++; return SquareModel(xs[0]); }, "the square box");
        var x = ones(1, 1, 32, 32);
        var e = Assert.Throws<GradientsUnavailableException>(() => box.For(0).With(IntegratedGradients.Steps(4)).Attribute(x));
        Assert.Equal("IntegratedGradients", e.Method);
        Assert.Contains("the square box", e.Message);
        Assert.Throws<GradientsUnavailableException>(() => box.For(0).With(NoiseTunnel.SmoothGrad(Saliency.Default)).Attribute(x));
        Assert.Throws<GradientsUnavailableException>(() => box.For(0).With(DeepLift.Default).Attribute(x));
        Assert.Equal(0, calls);
        // Forward-only methods and NoiseTunnel over them run.
        using var occlusion = box.For(0).With(NoiseTunnel.SmoothGrad(Occlusion.Window(1, 8, 8).Stride(1, 8, 8)).Samples(2).Seed(0)).Attribute(x);
        Assert.Equal(x.shape, occlusion.Value.shape);
        Assert.True(calls > 0);
    }
}
