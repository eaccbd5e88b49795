using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>Numerical integration rules for path methods (Integrated Gradients and its relatives).</summary>
public enum Quadrature
{
    /// <summary>Gauss–Legendre nodes and weights (Captum's default, "gausslegendre").</summary>
    GaussLegendre,
    /// <summary>Left Riemann sum ("riemann_left").</summary>
    RiemannLeft,
    /// <summary>Right Riemann sum ("riemann_right").</summary>
    RiemannRight,
    /// <summary>Midpoint Riemann sum ("riemann_middle").</summary>
    RiemannMiddle,
    /// <summary>Trapezoid rule ("riemann_trapezoid").</summary>
    RiemannTrapezoid,
}

/// <summary>Alphas (points on [0, 1]) and step sizes (weights) of a <see cref="Quadrature"/>, as Captum makes them.</summary>
internal static class QuadratureRule
{
    /// <summary>
    /// Alphas and step sizes for <paramref name="n"/> steps. Riemann alphas come from a float32 linspace and all
    /// step sizes are rounded to float32, as Captum does, so results agree with it to the last bits.
    /// </summary>
    public static (double[] Alphas, double[] Steps) Get(Quadrature method, int n)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "The number of steps must be at least 1.");
        double[] alphas, steps;
        if (method == Quadrature.GaussLegendre)
        {
            var (nodes, weights) = GaussLegendre(n);
            alphas = nodes.Select(t => (t + 1) / 2).ToArray();
            steps = weights.Select(w => w / 2).ToArray();
        }
        else
        {
            (double lo, double hi) = method switch
            {
                Quadrature.RiemannLeft => (0.0, 1 - 1.0 / n),
                Quadrature.RiemannRight => (1.0 / n, 1.0),
                Quadrature.RiemannMiddle => (1.0 / (2 * n), 1 - 1.0 / (2 * n)),
                Quadrature.RiemannTrapezoid => (0.0, 1.0),
                _ => throw new ArgumentOutOfRangeException(nameof(method), method, "Unknown quadrature."),
            };
            using var lin = linspace(lo, hi, n, dtype: ScalarType.Float32);
            alphas = lin.data<float>().Select(f => (double)f).ToArray();
            steps = Enumerable.Repeat(1.0 / n, n).ToArray();
            if (method == Quadrature.RiemannTrapezoid)
            {
                if (n < 2) throw new ArgumentOutOfRangeException(nameof(n), n, "The trapezoid rule needs at least 2 steps.");
                steps[0] = steps[^1] = 1.0 / (2 * n);
            }
        }
        return (alphas, steps.Select(s => (double)(float)s).ToArray());
    }

    /// <summary>Nodes on [-1, 1] (ascending) and weights of the n-point Gauss–Legendre rule.</summary>
    public static (double[] Nodes, double[] Weights) GaussLegendre(int n)
    {
        var nodes = new double[n];
        var weights = new double[n];
        for (int i = 0; i < (n + 1) / 2; i++)
        {
            double x = Math.Cos(Math.PI * (i + 0.75) / (n + 0.5));
            double dp = 0;
            for (int iter = 0; iter < 100; iter++)
            {
                (double p, double d) = Legendre(n, x);
                dp = d;
                double dx = p / d;
                x -= dx;
                if (Math.Abs(dx) < 1e-16) { (_, dp) = Legendre(n, x); break; }
            }
            double w = 2 / ((1 - x * x) * dp * dp);
            nodes[i] = -x;
            nodes[n - 1 - i] = x;
            weights[i] = weights[n - 1 - i] = w;
        }
        if (n % 2 == 1) nodes[n / 2] = 0;
        return (nodes, weights);
    }

    private static (double P, double Derivative) Legendre(int n, double x)
    {
        double p0 = 1, p1 = x;
        if (n == 0) return (1, 0);
        for (int k = 2; k <= n; k++)
        {
            double p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
            p0 = p1;
            p1 = p2;
        }
        return (p1, n * (x * p1 - p0) / (x * x - 1));
    }
}
