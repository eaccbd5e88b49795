using static TorchSharp.torch;

namespace FluentAttrib.Core.Metrics;

/// <summary>
/// Perturbation schedules of the evaluation metrics. A schedule gives, per example, the step at which each input
/// element is replaced (<see cref="Never"/> for never) and the value it is replaced by; a curve is the model's score
/// after each step, with the replacements cumulative (every step up to k) or alone (only step k). All rows are
/// built on the input's device and dtype and evaluated in passes by the <see cref="MetricScorer"/>.
/// </summary>
internal static class Perturbations
{
    public const int Never = int.MaxValue;

    /// <summary>
    /// Scores the perturbed rows: for example b, rows k = 0 … <paramref name="steps"/>[b] − 1. Returns the scores per
    /// example (curve of length steps[b]).
    /// </summary>
    public static double[][] Curves(MetricScorer scorer, Tensor input, int[][] rank, double[][] values, int[] steps, bool cumulative)
    {
        long batch = input.shape[0];
        int n = rank[0].Length;
        var owners = new List<long>();
        var stepOf = new List<int>();
        for (int b = 0; b < batch; b++)
            for (int k = 0; k < steps[b]; k++) { owners.Add(b); stepOf.Add(k); }
        var ownerArray = owners.ToArray();
        var stepArray = stepOf.ToArray();
        var flatRank = new int[batch * n];
        var flatValues = new double[batch * n];
        for (int b = 0; b < batch; b++)
        {
            rank[b].CopyTo(flatRank, b * n);
            values[b].CopyTo(flatValues, b * n);
        }
        using var rankT = tensor(flatRank).reshape(batch, n).to(input.device);
        using var valuesT = tensor(flatValues, dtype: ScalarType.Float64).reshape(batch, n).to(input.dtype).to(input.device);
        using var x = input.reshape(batch, n);
        var scores = scorer.Scores(ownerArray.Length, ownerArray, (start, count) =>
        {
            using var idx = tensor(ownerArray[start..(start + count)], device: input.device);
            using var ks = tensor(stepArray[start..(start + count)]).to(input.device).unsqueeze(1);
            var r = rankT.index_select(0, idx);
            var mask = cumulative ? r <= ks : r == ks;
            var rows = where(mask, valuesT.index_select(0, idx), x.index_select(0, idx));
            return rows.reshape([count, .. input.shape.Skip(1)]);
        });
        var result = new double[batch][];
        int at = 0;
        for (int b = 0; b < batch; b++)
        {
            result[b] = scores.AsSpan(at, steps[b]).ToArray();
            at += steps[b];
        }
        return result;
    }

    /// <summary>
    /// The replacement value of every element when the steps of <paramref name="rank"/> are applied cumulatively to
    /// <paramref name="x"/>, each step's value taken from the copy perturbed so far (Quantus's progressive baseline):
    /// a statistic of the current copy or a constant. Elements never replaced get their own value.
    /// </summary>
    public static double[] ProgressiveValues(double[] x, int[] rank, int steps, Substrate substrate)
    {
        var values = (double[])x.Clone();
        if (substrate.Kind != Substrate.SubstrateKind.Mean)
        {
            // Minimum and maximum of the copy do not change when elements are set to them; constants are constant.
            double v = substrate.Of(x);
            for (int i = 0; i < x.Length; i++) if (rank[i] != Never) values[i] = v;
            return values;
        }
        var byStep = new List<int>[steps];
        for (int i = 0; i < rank.Length; i++)
            if (rank[i] != Never) (byStep[rank[i]] ??= []).Add(i);
        double sum = Substrate.Sum(x);
        for (int k = 0; k < steps; k++)
        {
            if (byStep[k] is not { } members) continue;
            double mean = sum / x.Length;
            foreach (int i in members)
            {
                sum += mean - values[i];
                values[i] = mean;
            }
        }
        return values;
    }

    /// <summary>Every replaced element gets the substrate of the original example (a statistic of <paramref name="x"/> or a constant).</summary>
    public static double[] OriginalValues(double[] x, Substrate substrate)
    {
        double v = substrate.Of(x);
        var values = new double[x.Length];
        Array.Fill(values, v);
        return values;
    }

    /// <summary>The substrate as a field of per-element values for every example (tensor and blur substrates), rows (B, N).</summary>
    public static double[][] FieldValues(Tensor input, Substrate substrate)
    {
        using var scope = NewDisposeScope();
        Tensor field = substrate.Kind switch
        {
            Substrate.SubstrateKind.Tensor => substrate.Field!.to(input.device).to(input.dtype).expand(input.shape),
            Substrate.SubstrateKind.Blur => Blurred(input, substrate.Value),
            Substrate.SubstrateKind.Token => throw new ArgumentException(
                $"The substrate {substrate} is a token id, for inputs of token ids (Deletion and Insertion); this metric replaces floating-point values: use Substrate.Constant, Of(tensor) or Blur.", "substrate"),
            _ => throw new InvalidOperationException("not a field substrate"),
        };
        return MetricMath.Rows(field);
    }

    /// <summary>A Gaussian blur over the last two axes of images (B, C, H, W) and the last axis of other inputs (rows, time series), edges replicated.</summary>
    public static Tensor Blurred(Tensor input, double sigma)
    {
        int radius = (int)Math.Ceiling(3 * sigma);
        var k = Enumerable.Range(-radius, 2 * radius + 1).Select(i => Math.Exp(-i * i / (2 * sigma * sigma))).ToArray();
        double s = k.Sum();
        var kernel = tensor(k.Select(v => v / s).ToArray(), dtype: ScalarType.Float64).to(input.dtype).to(input.device);
        var x = input.dim() == 2 ? input.unsqueeze(1).unsqueeze(1) : input.reshape(-1, 1, input.shape[^2], input.shape[^1]);
        var h = nn.functional.pad(x, [radius, radius, 0, 0], TorchSharp.PaddingModes.Replicate);
        h = nn.functional.conv2d(h, kernel.view(1, 1, 1, -1));
        if (input.dim() >= 4)
        {
            h = nn.functional.pad(h, [0, 0, radius, radius], TorchSharp.PaddingModes.Replicate);
            h = nn.functional.conv2d(h, kernel.view(1, 1, -1, 1));
        }
        return h.reshape(input.shape);
    }

    /// <summary>Padding (before, after) of an axis of size <paramref name="size"/> to a multiple of <paramref name="patch"/> (Quantus's get_padding_size).</summary>
    public static (int Before, int After) Padding(int size, int patch)
    {
        int t = size % patch == 0 ? 0 : patch - size % patch;
        return (t / 2, t - t / 2);
    }
}
