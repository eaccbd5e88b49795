using TorchSharp;
using static FluentAttrib.Fluent;
using static FluentAttrib.Tests.Perturbation.PerturbationTestKit;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Perturbation;

public class OcclusionTests
{
    // ---- settings checked at construction -------------------------------------------------------------------

    [Fact]
    public void Empty_window_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => Occlusion.Window());
        Assert.Equal("window", e.ParamName);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-2L)]
    public void Non_positive_window_is_rejected(long extent)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Occlusion.Window(1, extent));
        Assert.Equal("window", e.ParamName);
        var e2 = Assert.Throws<ArgumentOutOfRangeException>(() => Occlusion.Windows([2], [extent]));
        Assert.Equal("windows", e2.ParamName);
    }

    [Fact]
    public void No_windows_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => Occlusion.Windows());
        Assert.Equal("windows", e.ParamName);
        var e2 = Assert.Throws<ArgumentException>(() => Occlusion.Windows([1], []));
        Assert.Equal("windows", e2.ParamName);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    public void Non_positive_stride_is_rejected(long stride)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Occlusion.Window(2, 2).Stride(stride));
        Assert.Equal("stride", e.ParamName);
        var e2 = Assert.Throws<ArgumentOutOfRangeException>(() => Occlusion.Windows([2], [1]).Strides([1], [stride]));
        Assert.Equal("strides", e2.ParamName);
    }

    [Fact]
    public void Empty_or_mismatched_stride_is_rejected()
    {
        Assert.Equal("stride", Assert.Throws<ArgumentException>(() => Occlusion.Window(2, 2).Stride()).ParamName);
        Assert.Equal("stride", Assert.Throws<ArgumentException>(() => Occlusion.Window(2, 2).Stride(1, 1, 1)).ParamName);
        Assert.Equal("strides", Assert.Throws<ArgumentException>(() => Occlusion.Windows([2], [1]).Strides([1])).ParamName);
        Assert.Equal("strides", Assert.Throws<ArgumentException>(() => Occlusion.Windows([2, 2], [1]).Strides([1, 1, 1], [1])).ParamName);
    }

    [Fact]
    public void Non_positive_perturbations_per_eval_is_rejected()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Occlusion.Window(2).PerturbationsPerPass(0));
        Assert.Equal("perturbations", e.ParamName);
    }

    [Fact]
    public void Settings_have_their_documented_defaults()
    {
        var o = Occlusion.Window(3);
        Assert.Equal(new long[] { 1 }, o.Settings.Strides[0].ToArray());
        Assert.Null(o.Settings.PerturbationsPerPass);
        Assert.Equal("0", o.Settings.Baseline.ToString());
    }

    // ---- checks that need the input -------------------------------------------------------------------------

    [Fact]
    public void Window_rank_must_match_the_input()
    {
        var x = Data(1, ScalarType.Float64, 2, 6);
        var e = Assert.Throws<ArgumentException>(() => Explain(Mlp()).For(0).With(Occlusion.Window(1, 2)).Attribute(x));
        Assert.Equal("window", e.ParamName);
        Assert.Contains("(1, 2)", e.Message);
        Assert.Contains("(2, 6)", e.Message);
    }

    [Fact]
    public void Window_larger_than_the_input_is_rejected()
    {
        var x = Data(1, ScalarType.Float64, 2, 6);
        var e = Assert.Throws<ArgumentException>(() => Explain(Mlp()).For(0).With(Occlusion.Window(7)).Attribute(x));
        Assert.Equal("window", e.ParamName);
        Assert.Contains("(7)", e.Message);
        Assert.Contains("(2, 6)", e.Message);
    }

    [Fact]
    public void Stride_larger_than_the_window_is_rejected()
    {
        var x = Data(1, ScalarType.Float64, 2, 6);
        var e = Assert.Throws<ArgumentException>(() => Explain(Mlp()).For(0).With(Occlusion.Window(2).Stride(3)).Attribute(x));
        Assert.Equal("stride", e.ParamName);
        Assert.Contains("(3)", e.Message);
        Assert.Contains("(2)", e.Message);
    }

    [Fact]
    public void Stride_larger_than_a_window_that_spans_the_input_is_allowed_as_in_captum()
    {
        var x = Data(1, ScalarType.Float64, 2, 6);
        using var a = Explain(Mlp()).For(0).With(Occlusion.Window(6).Stride(9)).Attribute(x);
        Assert.Equal(x.shape, a.Value.shape);
    }

    [Fact]
    public void One_window_per_input_is_required()
    {
        var a = Data(1, ScalarType.Float64, 2, 4);
        var b = Data(2, ScalarType.Float64, 2, 2);
        var e = Assert.Throws<ArgumentException>(() =>
            Explain((Tensor p, Tensor q) => cat([p, q], 1).sum(dim: 1)).With(Occlusion.Window(2)).Attribute(a, b));
        Assert.Equal("window", e.ParamName);
    }

    // ---- results --------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(new long[] { 1 }, new long[] { 1 })]
    [InlineData(new long[] { 3 }, new long[] { 2 })]
    [InlineData(new long[] { 4 }, new long[] { 3 })]
    public void Matches_brute_force_on_an_mlp(long[] window, long[] stride)
    {
        var model = Mlp();
        var x = Data(3, ScalarType.Float64, 3, 6);
        using var a = Explain(model).For(2).With(Occlusion.Window(window).Stride(stride).Baseline(0.25)).Attribute(x);
        AssertClose(ReferenceOcclusion(model, x, 2, window, stride, 0.25), a.Value);
        Assert.Equal(ScalarType.Float64, a.Value.dtype);
    }

    [Fact]
    public void Matches_brute_force_on_a_cnn_with_clipped_windows()
    {
        var model = Cnn();
        var x = Data(4, ScalarType.Float64, 2, 2, 6, 7);
        long[] window = [1, 3, 2], stride = [1, 2, 2];
        using var a = Explain(model).For(1).With(Occlusion.Window(window).Stride(stride).PerturbationsPerPass(5)).Attribute(x);
        AssertClose(ReferenceOcclusion(model, x, 1, window, stride, 0.0), a.Value);
    }

    [Fact]
    public void Batched_result_equals_unbatched()
    {
        var model = Cnn();
        var x = Data(5, ScalarType.Float64, 3, 2, 6, 7);
        var method = Occlusion.Window(2, 2, 3).Stride(1, 2, 2);
        using var one = Explain(model).For(Target.PerExample(0, 2, 1)).With(method.PerturbationsPerPass(1)).Attribute(x);
        using var seven = Explain(model).For(Target.PerExample(0, 2, 1)).With(method.PerturbationsPerPass(7)).Attribute(x);
        using var auto = Explain(model).For(Target.PerExample(0, 2, 1)).With(method).Attribute(x);
        AssertClose(one.Value, seven.Value, atol: 1e-12);
        AssertClose(one.Value, auto.Value, atol: 1e-12);
    }

    [Fact]
    public void Float32_model_gives_float32_attributions()
    {
        var x64 = Data(6, ScalarType.Float64, 3, 6);
        using var a64 = Explain(Mlp()).For(1).With(Occlusion.Window(2)).Attribute(x64);
        using var a32 = Explain(Mlp(ScalarType.Float32)).For(1).With(Occlusion.Window(2)).Attribute(x64.to(ScalarType.Float32));
        Assert.Equal(ScalarType.Float32, a32.Value.dtype);
        AssertClose(a64.Value, a32.Value, atol: 1e-5, rtol: 1e-4);
    }

    [Fact]
    public void Token_ids_are_replaced_by_the_baseline_id()
    {
        var embedding = TorchSharp.torch.nn.Embedding(12, 4);
        embedding.to(ScalarType.Float64);
        Func<Tensor, Tensor> model = ids => embedding.call(ids).sum(dim: 1);
        var ids = tensor(new long[] { 1, 5, 7, 3, 2, 9, 11, 4 }).reshape(2, 4);
        using var a = Explain(model).For(2).With(Occlusion.Window(1).Baseline(0)).Attribute(ids);
        Assert.Equal(ScalarType.Float64, a.Value.dtype);
        using var _ = no_grad();
        var w = embedding.weight!;
        var expected = w.index_select(0, ids.reshape(-1))[.., 2].reshape(2, 4) - w[0, 2];
        AssertClose(expected, a.Value, atol: 1e-12);
    }

    [Fact]
    public void Tuple_inputs_with_additional_arguments()
    {
        var p = Data(7, ScalarType.Float64, 3, 4);
        var q = Data(8, ScalarType.Float64, 3, 2);
        var scale = Data(9, ScalarType.Float64, 3, 1);
        // F = scale · (Σ p + 2 Σ q): a window's drop is scale · (its sum), averaged over covering windows.
        Func<Tensor[], Tensor> model = a => (a[2] * (a[0].sum(1, keepdim: true) + 2 * a[1].sum(1, keepdim: true))).squeeze(1);
        var method = Occlusion.Windows([2], [1]).Strides([2], [1]);
        using var one = Explain(model).With(method.PerturbationsPerPass(1)).WithAdditionalArguments(scale).Attribute(p, q);
        using var many = Explain(model).With(method.PerturbationsPerPass(7)).WithAdditionalArguments(scale).Attribute(p, q);
        var pairs = p.reshape(3, 2, 2).sum(dim: 2, keepdim: true).expand(3, 2, 2).reshape(3, 4);
        AssertClose(scale * pairs, one.Values[0], atol: 1e-12);
        AssertClose(2 * scale * q, one.Values[1], atol: 1e-12);
        AssertClose(one.Values[0], many.Values[0], atol: 1e-12);
        AssertClose(one.Values[1], many.Values[1], atol: 1e-12);
    }

    // ---- progress and cancellation --------------------------------------------------------------------------

    [Fact]
    public void Progress_reaches_the_total()
    {
        var x = Data(10, ScalarType.Float64, 2, 6);
        var recorder = new Recorder();
        using var a = Explain(Mlp()).For(0).With(Occlusion.Window(2).PerturbationsPerPass(2)).WithProgress(recorder).Attribute(x);
        Assert.NotEmpty(recorder.Reports);
        var last = recorder.Reports[^1];
        Assert.Equal(last.Total, last.Completed);
        Assert.Equal(3, last.Total); // 1 + 5 windows in passes of 2
        Assert.Equal("Occlusion", last.Method);
        Assert.True(recorder.Reports.Zip(recorder.Reports.Skip(1)).All(p => p.First.Completed < p.Second.Completed));
    }

    [Fact]
    public void Cancellation_stops_between_passes()
    {
        var x = Data(11, ScalarType.Float64, 2, 6);
        using var cts = new CancellationTokenSource();
        var recorder = new Recorder(_ => cts.Cancel());
        Assert.ThrowsAny<OperationCanceledException>(() =>
            Explain(Mlp()).For(0).With(Occlusion.Window(1).PerturbationsPerPass(1)).WithProgress(recorder).WithCancellation(cts.Token).Attribute(x));
        Assert.Single(recorder.Reports);
    }

    [Fact]
    public void Cancelled_token_throws_before_any_pass()
    {
        var x = Data(12, ScalarType.Float64, 2, 6);
        var recorder = new Recorder();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            Explain(Mlp()).For(0).With(Occlusion.Window(1)).WithProgress(recorder).WithCancellation(new CancellationToken(true)).Attribute(x));
        Assert.Empty(recorder.Reports);
    }
}
