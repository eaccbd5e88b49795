using static TorchSharp.torch;

namespace FluentAttrib;


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

    /// <summary>Above this many points the interior nodes come from an asymptotic expansion (O(1) per node).</summary>
    internal const int AsymptoticThreshold = 100;

    /// <summary>
    /// Nodes on [-1, 1] (ascending) and weights of the n-point Gauss–Legendre rule. Up to
    /// <see cref="AsymptoticThreshold"/> points: Newton's method on the three-term recurrence. Beyond it, Newton's
    /// method in θ (x = cos θ) on the interior asymptotic expansion of P_n(cos θ) (Hale and Townsend, 2013), which
    /// costs O(1) per node, so 50,000 points take milliseconds rather than the O(n²) of the recurrence; the few nodes
    /// near ±1, where that expansion is not accurate, still use the recurrence.
    /// </summary>
    public static (double[] Nodes, double[] Weights) GaussLegendre(int n)
    {
        var nodes = new double[n];
        var weights = new double[n];
        var asymptotic = n > AsymptoticThreshold ? new InteriorExpansion(n) : null;
        for (int i = 0; i < (n + 1) / 2; i++)
        {
            double theta0 = Math.PI * (i + 0.75) / (n + 0.5);
            double x, w;
            if (asymptotic is not null && n * Math.Sin(theta0) >= InteriorExpansion.MinimumNSinTheta)
                (x, w) = asymptotic.Node(theta0);
            else
                (x, w) = NewtonOnRecurrence(n, Math.Cos(theta0));
            nodes[i] = -x;
            nodes[n - 1 - i] = x;
            weights[i] = weights[n - 1 - i] = w;
        }
        if (n % 2 == 1) nodes[n / 2] = 0;
        return (nodes, weights);
    }

    private static (double X, double W) NewtonOnRecurrence(int n, double x)
    {
        double dp = 0;
        for (int iter = 0; iter < 100; iter++)
        {
            (double p, double d) = Legendre(n, x);
            dp = d;
            double dx = p / d;
            x -= dx;
            if (Math.Abs(dx) < 1e-16) { (_, dp) = Legendre(n, x); break; }
        }
        return (x, 2 / ((1 - x * x) * dp * dp));
    }

    /// <summary>
    /// P_n(cos θ) ≈ C_n Σ_m h_m cos(α_m) / (2 sin θ)^(m+1/2), α_m = (n+m+1/2)θ − (m+1/2)π/2,
    /// h_m = Π_{j≤m} (j−1/2)² / (j (n+j+1/2)), C_n = (4/π) Π_{j≤n} j/(j+1/2). With 2n sin θ ≥ 50 and 20 terms the
    /// truncation error is below 1e-16 relative.
    /// </summary>
    private sealed class InteriorExpansion
    {
        public const double MinimumNSinTheta = 25;
        private const int Terms = 20;
        private readonly int _n;
        private readonly double _c;
        private readonly double[] _h = new double[Terms];

        public InteriorExpansion(int n)
        {
            _n = n;
            double c = 4 / Math.PI;
            for (int j = 1; j <= n; j++) c *= j / (j + 0.5);
            _c = c;
            _h[0] = 1;
            for (int m = 1; m < Terms; m++) _h[m] = _h[m - 1] * (m - 0.5) * (m - 0.5) / (m * (n + m + 0.5));
        }

        /// <summary>P_n(cos θ) and its derivative with respect to θ.</summary>
        private (double P, double DTheta) Evaluate(double theta)
        {
            double s = Math.Sin(theta), c = Math.Cos(theta);
            double p = 0, d = 0;
            double scale = 1 / Math.Sqrt(2 * s); // (2 sin θ)^-(m+1/2)
            for (int m = 0; m < Terms; m++)
            {
                double alpha = (_n + m + 0.5) * theta - (m + 0.5) * Math.PI / 2;
                double ca = Math.Cos(alpha), sa = Math.Sin(alpha);
                p += _h[m] * ca * scale;
                d += _h[m] * (-(_n + m + 0.5) * sa * scale - (m + 0.5) * ca * scale * c / s);
                scale /= 2 * s;
            }
            return (_c * p, _c * d);
        }

        /// <summary>The node x = cos θ near <paramref name="theta"/> and its weight 2 / (dP/dθ)².</summary>
        public (double X, double W) Node(double theta)
        {
            double d = 0;
            for (int iter = 0; iter < 10; iter++)
            {
                (double p, double dp) = Evaluate(theta);
                d = dp;
                double step = p / dp;
                theta -= step;
                if (Math.Abs(step) < 1e-16 * Math.Max(1, theta)) break;
            }
            (_, d) = Evaluate(theta);
            return (Math.Cos(theta), 2 / (d * d));
        }
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
