using static TorchSharp.torch;

namespace FluentAttrib.Core;

/// <summary>
/// Weighted linear fits with an intercept, the surrogate models of Lime and KernelShap. Both center the data with
/// the weighted means and scale the rows by √weight, as scikit-learn does with <c>sample_weight</c>, so the returned
/// coefficients are the slopes of the weighted model (the intercept is the weighted mean residual and is not needed
/// for attributions). All arithmetic is float64.
/// </summary>
internal static class WeightedLinearFit
{
    /// <summary>
    /// Weighted least squares, min Σ wᵢ (yᵢ − c − xᵢ·β)² over β and c (scikit-learn's
    /// <c>LinearRegression().fit(X, y, sample_weight=w)</c>, Captum's <c>SkLearnLinearRegression</c>). Solved as the
    /// minimum-norm least-squares solution of the centered, √w-scaled system through the SVD pseudo-inverse (as
    /// LAPACK's <c>gelsd</c> behind scikit-learn does): robust to rank-deficient designs (a feature constant over the
    /// samples gets coefficient 0) and to the 10⁶ : 1 weights of KernelShap, and it runs on any device.
    /// </summary>
    /// <param name="x">Design (n, M), any floating dtype.</param>
    /// <param name="y">Targets (n).</param>
    /// <param name="w">Positive weights (n).</param>
    /// <returns>β, (M) float64.</returns>
    public static Tensor LeastSquares(Tensor x, Tensor y, Tensor w)
    {
        using var scope = NewDisposeScope();
        var (xs, ys) = CenterAndScale(x, y, w);
        return linalg.pinv(xs).matmul(ys).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Weighted Lasso, min (1 / (2 Σw)) Σ wᵢ (yᵢ − c − xᵢ·β)² + α ‖β‖₁ (scikit-learn's
    /// <c>Lasso(alpha).fit(X, y, sample_weight=w)</c>, Captum's <c>SkLearnLasso</c>, the default surrogate of Lime).
    /// Reproduces scikit-learn's solver: weights rescaled to sum to n, cyclic coordinate descent from β = 0, stopped
    /// when the duality gap falls below <paramref name="tolerance"/>·‖y‖² (checked when the largest coefficient change
    /// is below <paramref name="tolerance"/> times the largest coefficient) or after <paramref name="maxIterations"/>
    /// sweeps. The descent runs on the CPU over one copy of the (n, M) design per fit.
    /// </summary>
    public static Tensor Lasso(Tensor x, Tensor y, Tensor w, double alpha, int maxIterations = 1000, double tolerance = 1e-4)
    {
        long n = x.shape[0], m = x.shape[1];
        double[] design, target;
        var device = x.device;
        using (var scope = NewDisposeScope())
        {
            var normalized = w.to(ScalarType.Float64) * (n / w.to(ScalarType.Float64).sum());
            var (xs, ys) = CenterAndScale(x, y, normalized);
            // Column-major copy so that each coordinate's column is contiguous.
            design = xs.t().contiguous().cpu().data<double>().ToArray();
            target = ys.cpu().data<double>().ToArray();
        }
        var beta = CoordinateDescent(design, target, (int)n, (int)m, alpha * n, maxIterations, tolerance);
        return tensor(beta, dtype: ScalarType.Float64).to(device);
    }

    private static (Tensor X, Tensor Y) CenterAndScale(Tensor x, Tensor y, Tensor w)
    {
        var xd = x.to(ScalarType.Float64);
        var yd = y.to(ScalarType.Float64);
        var wd = w.to(ScalarType.Float64);
        var total = wd.sum();
        var xMean = (wd.unsqueeze(1) * xd).sum(dim: 0) / total;
        var yMean = (wd * yd).sum() / total;
        var root = wd.sqrt();
        return ((xd - xMean) * root.unsqueeze(1), (yd - yMean) * root);
    }

    /// <summary>scikit-learn's <c>enet_coordinate_descent</c> with no L2 term; <paramref name="x"/> is column-major.</summary>
    private static double[] CoordinateDescent(double[] x, double[] y, int n, int m, double alpha, int maxIterations, double tolerance)
    {
        var beta = new double[m];
        var residual = (double[])y.Clone();
        var columnNorms = new double[m];
        for (int j = 0; j < m; j++)
        {
            double s = 0;
            var col = x.AsSpan(j * n, n);
            foreach (double v in col) s += v * v;
            columnNorms[j] = s;
        }
        double gapTolerance = tolerance * Dot(y, y);
        for (int iteration = 0; iteration < maxIterations; iteration++)
        {
            double maxCoef = 0, maxChange = 0;
            for (int j = 0; j < m; j++)
            {
                if (columnNorms[j] == 0) continue;
                var col = x.AsSpan(j * n, n);
                double old = beta[j];
                if (old != 0) Axpy(old, col, residual);
                double rho = Dot(col, residual);
                double updated = Math.Sign(rho) * Math.Max(Math.Abs(rho) - alpha, 0) / columnNorms[j];
                beta[j] = updated;
                if (updated != 0) Axpy(-updated, col, residual);
                maxChange = Math.Max(maxChange, Math.Abs(updated - old));
                maxCoef = Math.Max(maxCoef, Math.Abs(updated));
            }
            if (maxCoef == 0 || maxChange / maxCoef <= tolerance || iteration == maxIterations - 1)
            {
                double dualNorm = 0;
                for (int j = 0; j < m; j++) dualNorm = Math.Max(dualNorm, Math.Abs(Dot(x.AsSpan(j * n, n), residual)));
                double residualNorm2 = Dot(residual, residual);
                double scale = 1, gap = residualNorm2;
                if (dualNorm > alpha)
                {
                    scale = alpha / dualNorm;
                    gap = 0.5 * (residualNorm2 + residualNorm2 * scale * scale);
                }
                double l1 = 0;
                foreach (double b in beta) l1 += Math.Abs(b);
                gap += alpha * l1 - scale * Dot(residual, y);
                if (gap <= gapTolerance) break;
            }
        }
        return beta;
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    private static void Axpy(double a, ReadOnlySpan<double> x, Span<double> y)
    {
        for (int i = 0; i < y.Length; i++) y[i] += a * x[i];
    }
}
