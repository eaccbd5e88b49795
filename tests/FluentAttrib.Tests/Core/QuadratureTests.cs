using FluentAttrib.Core;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Core;

/// <summary>Gauss–Legendre nodes for any step count: equal to the recurrence to ~1e-14, fast for 50,000 steps.</summary>
public class QuadratureTests
{
    /// <summary>The plain O(n²) reference: Newton on the three-term recurrence for every node.</summary>
    private static (double[] Nodes, double[] Weights) Reference(int n)
    {
        var nodes = new double[n];
        var weights = new double[n];
        for (int i = 0; i < n; i++)
        {
            double x = Math.Cos(Math.PI * (i + 0.75) / (n + 0.5)), d = 0;
            for (int it = 0; it < 60; it++)
            {
                double p0 = 1, p1 = x;
                for (int k = 2; k <= n; k++) { double p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k; p0 = p1; p1 = p2; }
                d = n * (x * p1 - p0) / (x * x - 1);
                double dx = p1 / d;
                x -= dx;
                if (Math.Abs(dx) < 1e-17) break;
            }
            nodes[n - 1 - i] = x;
            weights[n - 1 - i] = 2 / ((1 - x * x) * d * d);
        }
        return (nodes, weights);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(50)]
    [InlineData(101)]
    [InlineData(257)]
    [InlineData(1000)]
    public void Nodes_and_weights_equal_the_recurrence(int n)
    {
        var (nodes, weights) = QuadratureRule.GaussLegendre(n);
        var (refNodes, refWeights) = Reference(n);
        for (int i = 0; i < n; i++)
        {
            Assert.True(Math.Abs(nodes[i] - refNodes[i]) < 1e-14, $"node {i} of {n}: {nodes[i]} vs {refNodes[i]}");
            Assert.True(Math.Abs(weights[i] - refWeights[i]) < 1e-14 * Math.Max(1, refWeights[i] * n), $"weight {i} of {n}: {weights[i]} vs {refWeights[i]}");
        }
    }

    [Fact]
    public void Fifty_thousand_steps_integrate_polynomials_exactly()
    {
        // Speed lives in the benchmark, not here (a timed assertion fails on a loaded machine).
        var (alphas, steps) = QuadratureRule.Get(Quadrature.GaussLegendre, 50_000);
        var (nodes, weights) = QuadratureRule.GaussLegendre(50_000);
        double sum = 0, x2 = 0, x10 = 0;
        for (int i = 0; i < nodes.Length; i++)
        {
            sum += weights[i];
            x2 += weights[i] * nodes[i] * nodes[i];
            x10 += weights[i] * Math.Pow(nodes[i], 10);
        }
        Assert.Equal(2.0, sum, 1e-11);
        Assert.Equal(2.0 / 3, x2, 1e-11);
        Assert.Equal(2.0 / 11, x10, 1e-11);
        for (int i = 1; i < alphas.Length; i++) Assert.True(alphas[i] > alphas[i - 1], $"alphas not ascending at {i}");
        Assert.True(alphas[0] > 0 && alphas[^1] < 1);
    }

    [Fact]
    public void A_cancelled_run_with_fifty_thousand_steps_stops_at_once()
    {
        using var scope = NewDisposeScope();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var progress = new List<AttributionProgress>();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            Explain(TestModels.Mlp()).For(0).With(IntegratedGradients.Steps(50_000)).WithCancellation(cts.Token)
                .WithProgress(new RecordingProgress(progress)).Attribute(TestModels.Batch(2)));
        Assert.DoesNotContain(progress, p => p.Completed > 0); // stopped before the first pass
    }
}

/// <summary>Records progress reports synchronously (Progress&lt;T&gt; would post them to the thread pool).</summary>
internal sealed class RecordingProgress(List<AttributionProgress> sink) : IProgress<AttributionProgress>
{
    public void Report(AttributionProgress value) => sink.Add(value);
}
