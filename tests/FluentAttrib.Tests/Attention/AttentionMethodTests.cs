using FluentAttrib.Architectures;
using FluentAttrib.Core.Attention;
using TorchSharp;
using TorchSharp.Modules;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Attention;

/// <summary>
/// Attention rollout, attention flow and gradient-weighted rollout on a tiny random BERT (2 layers, 2 heads, width 8),
/// each against a computation written out here with loops over plain arrays, from attention read by hooks of the test's
/// own; and the maximum-flow solver on a textbook graph.
/// </summary>
public sealed class AttentionMethodTests : IDisposable
{
    private readonly ExplainableBert _model;
    private readonly Tensor _ids;
    private readonly Tensor _mask;
    private const int Length = 5;

    public AttentionMethodTests()
    {
        torch.manual_seed(7);
        _model = new ExplainableBert(new BertConfig(30, 8, 2, 2, 16, MaxPositions: 16), BertPooling.Cls);
        // Larger weights than BERT's 0.02 so the attention is far from uniform.
        using (no_grad())
            foreach (var p in _model.parameters())
                if (p.dim() == 2) p.mul_(20);
        _ids = tensor(new long[] { 1, 5, 9, 3, 2, 1, 7, 2, 0, 0 }, [2, Length]);
        _mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 0, 0 }, [2, Length]);
    }

    public void Dispose()
    {
        _model.Dispose();
        _ids.Dispose();
        _mask.Dispose();
    }

    /// <summary>Attention of each layer [layer][example, head, i, j], read by this test's own hooks.</summary>
    private double[][,,,] ReadAttention(Func<int, Tensor, Tensor?>? replace = null, Action<Tensor>? onOutput = null)
    {
        var softmaxes = _model.named_modules().Where(m => m.module is Softmax).Select(m => (Softmax)m.module).ToList();
        Assert.Equal(2, softmaxes.Count);
        var captured = new Tensor[softmaxes.Count];
        var removers = softmaxes.Select((s, k) => s.register_forward_hook((_, _, o) =>
        {
            captured[k] = o.detach().clone().DetachFromDisposeScope(); // the model's own dispose scope would free it
            return replace?.Invoke(k, o);
        })).ToList();
        try
        {
            var output = _model.call(_ids, _mask);
            onOutput?.Invoke(output);
        }
        finally
        {
            foreach (var r in removers) r.remove();
        }
        return [.. captured.Select(ToArray4)];
    }

    private static double[,,,] ToArray4(Tensor t)
    {
        var s = t.shape;
        var flat = t.to(ScalarType.Float64).data<double>().ToArray();
        var a = new double[s[0], s[1], s[2], s[3]];
        int k = 0;
        for (int n = 0; n < s[0]; n++) for (int h = 0; h < s[1]; h++) for (int i = 0; i < s[2]; i++) for (int j = 0; j < s[3]; j++) a[n, h, i, j] = flat[k++];
        return a;
    }

    /// <summary>Head mean plus identity, rows renormalised, for example n of one layer.</summary>
    private static double[,] Residual(double[,,,] att, int n)
    {
        int heads = att.GetLength(1), l = att.GetLength(2);
        var a = new double[l, l];
        for (int i = 0; i < l; i++)
        {
            double row = 0;
            for (int j = 0; j < l; j++)
            {
                double mean = 0;
                for (int h = 0; h < heads; h++) mean += att[n, h, i, j] / heads;
                a[i, j] = mean + (i == j ? 1 : 0);
                row += a[i, j];
            }
            for (int j = 0; j < l; j++) a[i, j] /= row;
        }
        return a;
    }

    private static double[,] Multiply(double[,] a, double[,] b)
    {
        int l = a.GetLength(0);
        var c = new double[l, l];
        for (int i = 0; i < l; i++) for (int j = 0; j < l; j++) for (int k = 0; k < l; k++) c[i, j] += a[i, k] * b[k, j];
        return c;
    }

    private static int RealCount(int n) => n == 0 ? 5 : 3;

    [Fact]
    public void Rollout_equals_the_product_of_residual_attention_read_for_the_first_token()
    {
        double[][,,,] att;
        using (no_grad()) att = ReadAttention();
        using var rollout = Explain(_model).With(AttentionRollout.Default).WithAdditionalArguments(_mask).Attribute(_ids);
        Assert.Equal([2L, Length], rollout.Value.shape);
        for (int n = 0; n < 2; n++)
        {
            var r = Multiply(Residual(att[1], n), Residual(att[0], n));
            for (int j = 0; j < Length; j++)
            {
                double expected = j < RealCount(n) ? r[0, j] : 0;
                Assert.Equal(expected, rollout.Value[n, j].item<float>(), 5);
            }
            // Each row of the rollout is a distribution over the real tokens.
            Assert.Equal(1.0, rollout.Value[n].sum().item<float>(), 5);
        }
    }

    [Fact]
    public void Rollout_read_for_the_mean_of_the_tokens_averages_the_real_rows_only()
    {
        double[][,,,] att;
        using (no_grad()) att = ReadAttention();
        using var rollout = Explain(_model).With(AttentionRollout.Default.Readout(AttentionReadout.MeanOfTokens))
            .WithAdditionalArguments(_mask).Attribute(_ids);
        for (int n = 0; n < 2; n++)
        {
            var r = Multiply(Residual(att[1], n), Residual(att[0], n));
            int real = RealCount(n);
            for (int j = 0; j < Length; j++)
            {
                double expected = 0;
                if (j < real) for (int i = 0; i < real; i++) expected += r[i, j] / real;
                Assert.Equal(expected, rollout.Value[n, j].item<float>(), 5);
            }
        }
    }

    [Fact]
    public void Flow_through_two_layers_is_the_sum_over_middle_tokens_of_the_narrower_edge()
    {
        // With two layers, the paths j → k → 0 are the only ones and share no edge: max flow = Σ_k min(Ã1[k, j], Ã2[0, k]).
        double[][,,,] att;
        using (no_grad()) att = ReadAttention();
        using var flow = Explain(_model).With(AttentionFlow.Default).WithAdditionalArguments(_mask).Attribute(_ids);
        for (int n = 0; n < 2; n++)
        {
            int real = RealCount(n);
            var a1 = Residual(att[0], n);
            var a2 = Residual(att[1], n);
            // Padding columns carry no attention, so restricting to the real tokens changes nothing.
            for (int j = 0; j < Length; j++)
            {
                double expected = 0;
                if (j < real) for (int k = 0; k < real; k++) expected += Math.Min(a1[k, j], a2[0, k]);
                Assert.Equal(expected, flow.Value[n, j].item<float>(), 5);
            }
        }
    }

    [Fact]
    public void Gradient_weighted_rollout_accumulates_positive_gradient_times_attention()
    {
        // The test's own gradient taps on the softmax outputs, target: output unit 3 of the [CLS] state.
        var taps = new[] { zeros(2, 2, Length, Length, requires_grad: true), zeros(2, 2, Length, Length, requires_grad: true) };
        Tensor? selected = null;
        var att = ReadAttention((k, o) => o + taps[k], o => selected = o[.., 3].sum());
        var grads = autograd.grad([selected!], taps).Select(ToArray4).ToArray();
        using var gwr = Explain(_model).For(3).With(GradientWeightedRollout.Default).WithAdditionalArguments(_mask).Attribute(_ids);
        for (int n = 0; n < 2; n++)
        {
            var r = new double[Length, Length];
            for (int i = 0; i < Length; i++) r[i, i] = 1;
            for (int l = 0; l < 2; l++)
            {
                var w = new double[Length, Length];
                for (int i = 0; i < Length; i++)
                    for (int j = 0; j < Length; j++)
                        for (int h = 0; h < 2; h++)
                            w[i, j] += Math.Max(0, grads[l][n, h, i, j] * att[l][n, h, i, j]) / 2;
                var wr = Multiply(w, r);
                for (int i = 0; i < Length; i++) for (int j = 0; j < Length; j++) r[i, j] += wr[i, j];
            }
            for (int j = 0; j < Length; j++)
            {
                double expected = j < RealCount(n) ? r[0, j] - (j == 0 ? 1 : 0) : 0;
                Assert.Equal(expected, gwr.Value[n, j].item<float>(), 4);
            }
        }
        Assert.True(gwr.Value.abs().sum().item<float>() > 1e-4, "the gradient-weighted relevance should not vanish");
    }

    [Fact]
    public void Max_heads_and_explicit_layers_are_honoured_and_settings_read_back()
    {
        var method = AttentionRollout.Default.HeadFusion(AttentionHeadFusion.Max).AttentionLayers("encoder.layer.1.attention.self.softmax");
        Assert.Equal(AttentionHeadFusion.Max, method.Settings.HeadFusion);
        Assert.Equal("encoder.layer.1.attention.self.softmax", method.Settings.AttentionLayers.Single().Path);
        Assert.Equal(AttentionReadout.FirstToken, method.Settings.Readout);
        double[][,,,] att;
        using (no_grad()) att = ReadAttention();
        using var rollout = Explain(_model).With(method).WithAdditionalArguments(_mask).Attribute(_ids);
        // Only layer 1, heads fused by their maximum, + I, renormalised.
        for (int j = 0; j < Length; j++)
        {
            double max = Math.Max(att[1][0, 0, 0, j], att[1][0, 1, 0, j]) + (j == 0 ? 1 : 0);
            double row = 0;
            for (int k = 0; k < Length; k++) row += Math.Max(att[1][0, 0, 0, k], att[1][0, 1, 0, k]) + (k == 0 ? 1 : 0);
            Assert.Equal(max / row, rollout.Value[0, j].item<float>(), 5);
        }
    }

    [Fact]
    public void A_model_without_attention_layers_or_a_wrong_layer_is_refused_with_typed_errors()
    {
        using var linear = nn.Linear(5, 3);
        var e = Assert.Throws<ArgumentException>(() => Explain(linear).For(0).With(AttentionRollout.Default).Attribute(randn(2, 5)));
        Assert.Equal("model", e.ParamName);
        Assert.Contains("AttentionLayers", e.Message);
        var wrong = Assert.Throws<ArgumentException>(() => Explain(_model).With(AttentionFlow.Default.AttentionLayers("encoder.layer.0.attention.self.query"))
            .WithAdditionalArguments(_mask).Attribute(_ids));
        Assert.Equal("model", wrong.ParamName);
        Assert.Contains("(N, heads, L, L)", wrong.Message);
        Assert.Throws<ArgumentException>(() => AttentionFlow.Default.AttentionLayers());
        Assert.Throws<ArgumentOutOfRangeException>(() => AttentionRollout.Default.HeadFusion((AttentionHeadFusion)9));
    }

    [Fact]
    public void Flow_reports_progress_per_example_and_stops_when_cancelled()
    {
        var reports = new List<AttributionProgress>();
        var progress = new SynchronousProgress(reports.Add);
        using (var flow = Explain(_model).With(AttentionFlow.Default.Readout(AttentionReadout.MeanOfTokens))
                   .WithAdditionalArguments(_mask).WithProgress(progress).Attribute(_ids))
            Assert.Equal([2L, Length], flow.Value.shape);
        Assert.Equal(2, reports.Count);
        Assert.Equal((2, 2), (reports[^1].Completed, reports[^1].Total));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => Explain(_model).With(AttentionFlow.Default)
            .WithAdditionalArguments(_mask).WithCancellation(cancelled.Token).Attribute(_ids));
    }

    private sealed class SynchronousProgress(Action<AttributionProgress> report) : IProgress<AttributionProgress>
    {
        public void Report(AttributionProgress value) => report(value);
    }

    [Fact]
    public void Max_flow_of_the_textbook_network_is_23()
    {
        // Cormen et al., Introduction to Algorithms, figure 26.1: s=0, v1..v4 = 1..4, t=5.
        var g = new MaxFlow(6);
        g.AddEdge(0, 1, 16); g.AddEdge(0, 2, 13); g.AddEdge(2, 1, 4); g.AddEdge(1, 3, 12); g.AddEdge(3, 2, 9);
        g.AddEdge(2, 4, 14); g.AddEdge(4, 3, 7); g.AddEdge(3, 5, 20); g.AddEdge(4, 5, 4);
        Assert.Equal(23, g.Compute(0, 5), 9);
        Assert.Equal(23, g.Compute(0, 5), 9); // reusable
        Assert.Equal(0, g.Compute(5, 0), 9);
        Assert.Equal(4 + 7, g.Compute(4, 5), 9); // 4 → t directly, and 4 → 3 → t limited by 4 → 3
    }
}
