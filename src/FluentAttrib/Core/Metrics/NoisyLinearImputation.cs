namespace FluentAttrib.Core.Metrics;

/// <summary>
/// ROAD's noisy linear imputation (Rong et al., 2022): every imputed pixel takes the weighted mean of its in-image
/// 8-neighbours (weight 1/6 for the 4 edge neighbours, 1/12 for the diagonal ones, renormalised by the weights inside
/// the image), where imputed neighbours are unknowns: one sparse symmetric positive-definite system per channel,
/// solved by conjugate gradients to round-off; then Gaussian noise of the given standard deviation is added.
/// </summary>
internal static class NoisyLinearImputation
{
    private static readonly (int Di, int Dj, double W)[] Offsets =
    [
        (1, 1, 1.0 / 12), (0, 1, 1.0 / 6), (-1, 1, 1.0 / 12), (1, -1, 1.0 / 12),
        (0, -1, 1.0 / 6), (-1, -1, 1.0 / 12), (1, 0, 1.0 / 6), (-1, 0, 1.0 / 6),
    ];

    /// <summary>
    /// Imputes the pixels <paramref name="pixels"/> (indices h·W + w) of the (C, H, W) example <paramref name="x"/>
    /// (flattened, C order) and returns the new example.
    /// </summary>
    public static double[] Impute(double[] x, int channels, int height, int width, int[] pixels, double noise, Func<double>? gaussian)
    {
        int k = pixels.Length, hw = height * width;
        var result = (double[])x.Clone();
        if (k == 0) return result;
        var variable = new int[hw];
        Array.Fill(variable, -1);
        for (int v = 0; v < k; v++) variable[pixels[v]] = v;

        // Row v: diag[v]·u_v − Σ w·u_j (imputed neighbours) = Σ w·x_j (known neighbours).
        var diag = new double[k];
        var neighbours = new List<(int J, double W)>[k];
        var known = new List<(int Pixel, double W)>[k];
        for (int v = 0; v < k; v++)
        {
            int i = pixels[v] / width, j = pixels[v] % width;
            neighbours[v] = [];
            known[v] = [];
            foreach (var (di, dj, w) in Offsets)
            {
                int ni = i + di, nj = j + dj;
                if (ni < 0 || ni >= height || nj < 0 || nj >= width) continue;
                diag[v] += w;
                int p = ni * width + nj;
                if (variable[p] >= 0) neighbours[v].Add((variable[p], w));
                else known[v].Add((p, w));
            }
        }
        if (known.All(l => l.Count == 0))
            throw new ArgumentException("ROAD cannot impute every pixel of an image: keep at least one (a percentage below 100).", "percentages");

        for (int c = 0; c < channels; c++)
        {
            int offset = c * hw;
            var rhs = new double[k];
            for (int v = 0; v < k; v++)
                foreach (var (p, w) in known[v]) rhs[v] += w * x[offset + p];
            var u = Solve(diag, neighbours, rhs);
            for (int v = 0; v < k; v++) result[offset + pixels[v]] = u[v] + (noise != 0 && gaussian is not null ? noise * gaussian() : 0);
        }
        return result;
    }

    /// <summary>Conjugate gradients on the symmetric positive-definite system, started from the neighbours' mean of the right-hand side.</summary>
    private static double[] Solve(double[] diag, List<(int J, double W)>[] neighbours, double[] rhs)
    {
        int k = rhs.Length;
        void Multiply(double[] p, double[] q)
        {
            for (int v = 0; v < k; v++)
            {
                double s = diag[v] * p[v];
                foreach (var (j, w) in neighbours[v]) s -= w * p[j];
                q[v] = s;
            }
        }
        var u = new double[k];
        var r = (double[])rhs.Clone();
        var p = (double[])r.Clone();
        var q = new double[k];
        double rr = Dot(r, r), bb = rr;
        if (bb == 0) return u;
        for (int it = 0; it < 20 * k + 100 && rr > 1e-30 * bb; it++)
        {
            Multiply(p, q);
            double alpha = rr / Dot(p, q);
            for (int v = 0; v < k; v++)
            {
                u[v] += alpha * p[v];
                r[v] -= alpha * q[v];
            }
            double next = Dot(r, r);
            double beta = next / rr;
            rr = next;
            for (int v = 0; v < k; v++) p[v] = r[v] + beta * p[v];
        }
        return u;
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }
}
