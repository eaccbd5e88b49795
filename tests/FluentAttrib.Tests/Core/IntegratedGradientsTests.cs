using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Tests;

public class IntegratedGradientsTests
{
    [Theory]
    [InlineData(Quadrature.GaussLegendre)]
    [InlineData(Quadrature.RiemannLeft)]
    [InlineData(Quadrature.RiemannRight)]
    [InlineData(Quadrature.RiemannMiddle)]
    [InlineData(Quadrature.RiemannTrapezoid)]
    public void Internal_batching_does_not_change_the_result(Quadrature q)
    {
        var model = TestModels.Mlp();
        var x = TestModels.Batch(3);
        var ig = IntegratedGradients.Steps(12).Quadrature(q);
        using var whole = Explain(model).For(1).With(ig.InternalBatchSize(1000)).Attribute(x);
        using var parts = Explain(model).For(1).With(ig.InternalBatchSize(7)).Attribute(x);
        Assert.True(whole.Value.allclose(parts.Value, rtol: 1e-12, atol: 1e-14));
    }

    [Fact]
    public void Gauss_legendre_nodes_integrate_polynomials_exactly()
    {
        // ∫_0^1 t^k dt = 1/(k+1); an n-point rule is exact up to degree 2n-1. Steps are rounded to float32 as in Captum.
        foreach (int n in new[] { 1, 2, 5, 16, 50 })
        {
            var (alphas, steps) = QuadratureRule.Get(Quadrature.GaussLegendre, n);
            for (int k = 0; k <= 2 * n - 1 && k < 12; k++)
            {
                double integral = alphas.Zip(steps, (a, w) => w * Math.Pow(a, k)).Sum();
                Assert.True(Math.Abs(integral - 1.0 / (k + 1)) < 1e-7, $"n={n} k={k}: {integral}");
            }
        }
    }

    [Fact]
    public void Float32_models_work_and_keep_their_dtype()
    {
        var model = TestModels.Mlp(ScalarType.Float32);
        var x = TestModels.Batch(2, ScalarType.Float32);
        using var a = Explain(model).For(0).With(IntegratedGradients.Steps(20).ReturnDelta()).Attribute(x);
        Assert.Equal(ScalarType.Float32, a.Value.dtype);
        Assert.True(a.Delta!.abs().max().item<float>() < 1e-2f);
    }

    [Fact]
    public void Progress_reaches_the_total_and_cancellation_stops_the_run()
    {
        var model = TestModels.Mlp();
        var x = TestModels.Batch(3);
        var seen = new List<AttributionProgress>();
        var progress = new SynchronousProgress<AttributionProgress>(seen.Add);
        using (Explain(model).For(0).With(IntegratedGradients.Steps(10).InternalBatchSize(6)).WithProgress(progress).Attribute(x)) { }
        Assert.Equal(5, seen.Count);
        Assert.Equal(10, seen[^1].Completed);
        Assert.Equal(1.0, seen[^1].Fraction);

        using var cts = new CancellationTokenSource();
        var cancelling = new SynchronousProgress<AttributionProgress>(_ => cts.Cancel());
        Assert.Throws<OperationCanceledException>(() =>
            Explain(model).For(0).With(IntegratedGradients.Steps(10).InternalBatchSize(6)).WithProgress(cancelling).WithCancellation(cts.Token).Attribute(x));
    }

    [Fact]
    public void Memory_budget_changes_batching_but_not_the_result()
    {
        var model = TestModels.Mlp();
        var x = TestModels.Batch(3);
        int tiny = 0, large = 0;
        using var a = Explain(model).For(2).With(IntegratedGradients.Steps(16)).WithMemoryBudget(1)
            .WithProgress(new SynchronousProgress<AttributionProgress>(_ => tiny++)).Attribute(x);
        using var b = Explain(model).For(2).With(IntegratedGradients.Steps(16)).WithMemoryBudget(1L << 30)
            .WithProgress(new SynchronousProgress<AttributionProgress>(_ => large++)).Attribute(x);
        Assert.True(tiny > large, $"a tiny budget should need more passes ({tiny} vs {large})");
        Assert.True(a.Value.allclose(b.Value, rtol: 1e-12, atol: 1e-14));
    }
}

/// <summary>IProgress that calls back on the reporting thread (Progress&lt;T&gt; posts to the thread pool).</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
