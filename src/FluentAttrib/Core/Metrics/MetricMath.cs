using static TorchSharp.torch;

namespace FluentAttrib.Core.Metrics;

/// <summary>Shared arithmetic of the evaluation metrics, on per-example rows of doubles.</summary>
internal static class MetricMath
{
    /// <summary>
    /// The attributions as one flattened row of doubles per example, normalized and then made absolute as the metric's
    /// settings say (Quantus's preprocessing, batch-wide for <see cref="AttributionNormalization.MaxOfBatch"/>).
    /// </summary>
    public static double[][] Preprocess(Tensor attribution, AttributionNormalization normalization, bool absolute)
    {
        var rows = Rows(attribution);
        Normalize(rows, normalization);
        if (absolute)
            foreach (var r in rows)
                for (int i = 0; i < r.Length; i++) r[i] = Math.Abs(r[i]);
        return rows;
    }

    /// <summary>One flattened row of doubles per example (row-major).</summary>
    public static double[][] Rows(Tensor t)
    {
        long batch = t.shape[0];
        var flat = t.detach().to(ScalarType.Float64).cpu().contiguous().reshape(batch, -1);
        var all = flat.data<double>().ToArray();
        int n = (int)flat.shape[1];
        var rows = new double[batch][];
        for (int b = 0; b < batch; b++) rows[b] = all.AsSpan(b * n, n).ToArray();
        flat.Dispose();
        return rows;
    }

    public static void Normalize(double[][] rows, AttributionNormalization normalization)
    {
        if (normalization == AttributionNormalization.None) return;
        if (rows.All(r => r.All(v => v == 0))) return;
        switch (normalization)
        {
            case AttributionNormalization.MaxOfBatch:
            {
                double max = rows.Max(r => r.Length == 0 ? 0 : r.Max(Math.Abs));
                foreach (var r in rows) for (int i = 0; i < r.Length; i++) r[i] /= max;
                break;
            }
            case AttributionNormalization.MaxPerExample:
                foreach (var r in rows)
                {
                    double max = r.Length == 0 ? 0 : r.Max(Math.Abs);
                    if (max != 0) for (int i = 0; i < r.Length; i++) r[i] /= max;
                }
                break;
            case AttributionNormalization.ByNegative:
            {
                double max = rows.Max(r => r.Max()), min = rows.Min(r => r.Min());
                foreach (var r in rows)
                    for (int i = 0; i < r.Length; i++)
                    {
                        double v = r[i];
                        r[i] = min >= 0 ? (max != 0 ? v / max : v)
                            : max <= 0 ? (min != 0 ? -v / min : v)
                            : v > 0 ? v / max : v < 0 ? -v / min : 0;
                    }
                break;
            }
        }
    }

    /// <summary>Indices by descending value, ties by ascending index.</summary>
    public static int[] Descending(ReadOnlySpan<double> values)
    {
        var v = values.ToArray();
        var idx = Enumerable.Range(0, v.Length).ToArray();
        Array.Sort(idx, (i, j) => v[j].CompareTo(v[i]) is var c && c != 0 ? c : i.CompareTo(j));
        return idx;
    }

    /// <summary>Indices by ascending value, ties by ascending index.</summary>
    public static int[] Ascending(ReadOnlySpan<double> values)
    {
        var v = values.ToArray();
        var idx = Enumerable.Range(0, v.Length).ToArray();
        Array.Sort(idx, (i, j) => v[i].CompareTo(v[j]) is var c && c != 0 ? c : i.CompareTo(j));
        return idx;
    }

    /// <summary>The trapezoid area of a curve with unit spacing (numpy's <c>trapz(curve, dx=1)</c>).</summary>
    public static double Trapezoid(ReadOnlySpan<double> curve)
    {
        double s = 0;
        for (int i = 0; i + 1 < curve.Length; i++) s += (curve[i] + curve[i + 1]) / 2;
        return s;
    }

    /// <summary>Broadcasts a row of <paramref name="shared"/> (one value per position) to <paramref name="channels"/> channels, channel-major.</summary>
    public static double[] Tile(double[] shared, int channels)
    {
        if (channels == 1) return shared;
        var r = new double[shared.Length * channels];
        for (int c = 0; c < channels; c++) shared.CopyTo(r, c * shared.Length);
        return r;
    }

    /// <summary>Broadcasts attribution rows to the input's elements (Quantus §6.1): (B,1,…) over C channels, else as given.</summary>
    public static double[][] BroadcastToInput(double[][] rows, long[] attributionShape, long[] inputShape, string metric)
    {
        long inputElements = inputShape.Skip(1).Aggregate(1L, (a, b) => a * b);
        if (rows[0].LongLength == inputElements) return rows;
        if (attributionShape.Length == inputShape.Length && attributionShape.Length >= 3 && attributionShape[1] == 1
            && attributionShape.Skip(2).SequenceEqual(inputShape.Skip(2)))
            return rows.Select(r => Tile(r, (int)inputShape[1])).ToArray();
        throw new ArgumentException(
            $"{metric}: the attribution has shape {Shapes.Format(attributionShape)} but the input has {Shapes.Format(inputShape)}; give one value per input element or one per position shared by the channels (B, 1, …).",
            "attribution");
    }

    public static double Pearson(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        int n = a.Length;
        double ma = 0, mb = 0;
        for (int i = 0; i < n; i++) { ma += a[i]; mb += b[i]; }
        ma /= n;
        mb /= n;
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < n; i++)
        {
            double da = a[i] - ma, db = b[i] - mb;
            sab += da * db;
            saa += da * da;
            sbb += db * db;
        }
        return sab / Math.Sqrt(saa * sbb);
    }

    /// <summary>Ranks 1..n, ties get the average of their ranks.</summary>
    public static double[] Ranks(ReadOnlySpan<double> v)
    {
        var idx = Ascending(v);
        var ranks = new double[v.Length];
        int i = 0;
        while (i < idx.Length)
        {
            int j = i;
            while (j + 1 < idx.Length && v[idx[j + 1]] == v[idx[i]]) j++;
            double rank = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) ranks[idx[k]] = rank;
            i = j + 1;
        }
        return ranks;
    }

    public static double Spearman(ReadOnlySpan<double> a, ReadOnlySpan<double> b) => Pearson(Ranks(a), Ranks(b));

    /// <summary>Kendall's τ-b (as scipy's <c>kendalltau</c>).</summary>
    public static double KendallTau(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        long concordant = 0, discordant = 0, tiesA = 0, tiesB = 0;
        for (int i = 0; i < a.Length; i++)
            for (int j = i + 1; j < a.Length; j++)
            {
                double da = a[i] - a[j], db = b[i] - b[j];
                if (da == 0 && db == 0) continue;
                if (da == 0) tiesA++;
                else if (db == 0) tiesB++;
                else if (da * db > 0) concordant++;
                else discordant++;
            }
        return (concordant - discordant) / Math.Sqrt((double)(concordant + discordant + tiesA) * (concordant + discordant + tiesB));
    }

    /// <summary>
    /// Structural similarity of two vectors as scikit-image's <c>structural_similarity</c> on 1-D arrays: window 7,
    /// K1 0.01, K2 0.03, data range max − min over both, uniform local statistics with the sample covariance, the map
    /// averaged over positions whose window lies inside.
    /// </summary>
    public static double Ssim(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        const int w = 7;
        int n = a.Length;
        if (n < w) throw new ArgumentException($"SSIM needs at least {w} values per example; got {n}.", "attribution");
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        for (int i = 0; i < n; i++)
        {
            lo = Math.Min(lo, Math.Min(a[i], b[i]));
            hi = Math.Max(hi, Math.Max(a[i], b[i]));
        }
        double range = hi - lo;
        double c1 = Math.Pow(0.01 * range, 2), c2 = Math.Pow(0.03 * range, 2);
        double cov = w / (w - 1.0);
        double total = 0;
        int count = 0;
        for (int centre = w / 2; centre < n - w / 2; centre++)
        {
            double ux = 0, uy = 0, uxx = 0, uyy = 0, uxy = 0;
            for (int k = centre - w / 2; k <= centre + w / 2; k++)
            {
                ux += a[k];
                uy += b[k];
                uxx += a[k] * a[k];
                uyy += b[k] * b[k];
                uxy += a[k] * b[k];
            }
            ux /= w; uy /= w; uxx /= w; uyy /= w; uxy /= w;
            double vx = cov * (uxx - ux * ux), vy = cov * (uyy - uy * uy), vxy = cov * (uxy - ux * uy);
            double s = (2 * ux * uy + c1) * (2 * vxy + c2) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
            total += s;
            count++;
        }
        return total / count;
    }

    /// <summary>The similarity of two vectors.</summary>
    public static double Compare(Similarity similarity, ReadOnlySpan<double> a, ReadOnlySpan<double> b) => similarity switch
    {
        Similarity.Pearson => Pearson(a, b),
        Similarity.Spearman => Spearman(a, b),
        Similarity.KendallTau => KendallTau(a, b),
        Similarity.Ssim => Ssim(a, b),
        _ => throw new ArgumentOutOfRangeException(nameof(similarity)),
    };

    public static Tensor ToTensor(double[] values, Tensor like) => tensor(values, dtype: ScalarType.Float64).to(like.device);

    public static Tensor ToTensor(double[][] rows, Tensor like)
    {
        int b = rows.Length, n = rows.Length == 0 ? 0 : rows[0].Length;
        var flat = new double[b * n];
        for (int i = 0; i < b; i++) rows[i].CopyTo(flat, i * n);
        return tensor(flat, dtype: ScalarType.Float64).reshape(b, n).to(like.device);
    }
}
