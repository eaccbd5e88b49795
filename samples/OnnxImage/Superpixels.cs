namespace OnnxImage;

/// <summary>
/// SLIC superpixels (Achanta et al., 2012), small and plain: cluster centres start on a regular grid, each pixel joins
/// the nearest centre within two grid steps by colour (CIELAB) and position, centres move to their pixels' means,
/// ten times; then fragments cut off from their superpixel join a neighbour, and labels are renumbered 0..K−1.
/// </summary>
internal static class Superpixels
{
    /// <summary>
    /// Labels of about <paramref name="count"/> superpixels of a planar RGB image (3×H×W, 0–255), row-major H×W.
    /// <paramref name="compactness"/> weighs position against colour (10 is SLIC's usual value).
    /// </summary>
    public static int[] Slic(float[] rgb, int height, int width, int count, double compactness = 10)
    {
        int n = height * width;
        var lab = ToLab(rgb, n);
        double step = Math.Sqrt((double)n / count);
        var centres = new List<double[]>(); // L, a, b, y, x
        for (double y = step / 2; y < height; y += step)
            for (double x = step / 2; x < width; x += step)
            {
                int p = (int)y * width + (int)x;
                centres.Add([lab[0][p], lab[1][p], lab[2][p], (int)y, (int)x]);
            }
        var labels = new int[n];
        var best = new double[n];
        double m2 = compactness * compactness / (step * step);
        int reach = (int)Math.Ceiling(2 * step);
        for (int iteration = 0; iteration < 10; iteration++)
        {
            Array.Fill(best, double.MaxValue);
            for (int k = 0; k < centres.Count; k++)
            {
                var c = centres[k];
                int y0 = Math.Max(0, (int)c[3] - reach), y1 = Math.Min(height, (int)c[3] + reach + 1);
                int x0 = Math.Max(0, (int)c[4] - reach), x1 = Math.Min(width, (int)c[4] + reach + 1);
                for (int y = y0; y < y1; y++)
                    for (int x = x0; x < x1; x++)
                    {
                        int p = y * width + x;
                        double dl = lab[0][p] - c[0], da = lab[1][p] - c[1], db = lab[2][p] - c[2];
                        double dy = y - c[3], dx = x - c[4];
                        double d = dl * dl + da * da + db * db + m2 * (dy * dy + dx * dx);
                        if (d < best[p]) { best[p] = d; labels[p] = k; }
                    }
            }
            var sums = new double[centres.Count, 6];
            for (int p = 0; p < n; p++)
            {
                int k = labels[p];
                sums[k, 0] += lab[0][p]; sums[k, 1] += lab[1][p]; sums[k, 2] += lab[2][p];
                sums[k, 3] += p / width; sums[k, 4] += p % width; sums[k, 5]++;
            }
            for (int k = 0; k < centres.Count; k++)
                if (sums[k, 5] > 0)
                    for (int j = 0; j < 5; j++) centres[k][j] = sums[k, j] / sums[k, 5];
        }
        return Connect(labels, height, width, (int)(step * step / 4));
    }

    /// <summary>Gives every connected fragment smaller than <paramref name="minimum"/> pixels to a neighbouring label, and renumbers.</summary>
    private static int[] Connect(int[] labels, int height, int width, int minimum)
    {
        int n = labels.Length;
        var result = Enumerable.Repeat(-1, n).ToArray();
        int next = 0;
        var queue = new List<int>();
        for (int start = 0; start < n; start++)
        {
            if (result[start] >= 0) continue;
            queue.Clear();
            queue.Add(start);
            result[start] = next;
            int neighbour = -1;
            for (int i = 0; i < queue.Count; i++)
            {
                int p = queue[i], y = p / width, x = p % width;
                foreach (var (qy, qx) in new[] { (y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1) })
                {
                    if (qy < 0 || qy >= height || qx < 0 || qx >= width) continue;
                    int q = qy * width + qx;
                    if (result[q] >= 0 && result[q] != next) neighbour = result[q];
                    if (result[q] < 0 && labels[q] == labels[start])
                    {
                        result[q] = next;
                        queue.Add(q);
                    }
                }
            }
            if (queue.Count < minimum && neighbour >= 0)
                foreach (int p in queue) result[p] = neighbour;
            else
                next++;
        }
        // Renumber 0..K−1 in order of first appearance.
        var map = new Dictionary<int, int>();
        for (int p = 0; p < n; p++)
        {
            if (!map.TryGetValue(result[p], out int id)) map[result[p]] = id = map.Count;
            result[p] = id;
        }
        return result;
    }

    /// <summary>sRGB 0–255 → CIELAB (D65), three planes.</summary>
    private static double[][] ToLab(float[] rgb, int n)
    {
        var lab = new[] { new double[n], new double[n], new double[n] };
        static double Linear(double c) { c /= 255; return c <= 0.04045 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4); }
        static double F(double t) => t > 0.008856 ? Math.Cbrt(t) : 7.787 * t + 16.0 / 116;
        for (int p = 0; p < n; p++)
        {
            double r = Linear(rgb[p]), g = Linear(rgb[n + p]), b = Linear(rgb[2 * n + p]);
            double x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
            double y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
            double z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
            double fx = F(x), fy = F(y), fz = F(z);
            lab[0][p] = 116 * fy - 16;
            lab[1][p] = 500 * (fx - fy);
            lab[2][p] = 200 * (fy - fz);
        }
        return lab;
    }
}
