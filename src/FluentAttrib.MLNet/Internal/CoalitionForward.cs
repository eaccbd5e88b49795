using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.MLNet.Internal;

/// <summary>
/// The forward function the perturbation methods call. Its input holds, per row and feature, a source code: k ≥ 1
/// means "feature f of explained row k − 1", 0 means "absent". A row with absent features is scored once per
/// background row (absent features taken from that background row) and the scores are averaged: the
/// interventional value of the coalition, as SHAP's KernelExplainer defines it. A row without absent features is
/// scored once. All rows of a call go to the model in one data view.
/// </summary>
internal sealed class CoalitionForward(RowTable table, int backgroundRows, FeatureLayout layout, ModelScorer scorer, CancellationToken cancellation)
{
    /// <summary>Rows handed to the model so far, and how many Transform passes that took.</summary>
    public long RowsScored { get; private set; }

    public int Passes { get; private set; }

    public Tensor Forward(Tensor[] args)
    {
        var codes = args[0];
        int features = layout.Count;
        if (codes.dim() != 2 || codes.shape[1] != features)
            throw new InvalidOperationException($"Expected coalition codes of shape (rows, {features}), got [{string.Join(", ", codes.shape)}].");
        int m = checked((int)codes.shape[0]);
        double[] values;
        using (var cpu = codes.detach().cpu().to_type(ScalarType.Float64).contiguous()) values = cpu.data<double>().ToArray();
        var result = Score(values, m);
        int width = scorer.Width;
        var output = tensor(result, scorer.IsVector ? [m, width] : [m], ScalarType.Float64);
        return codes.device.type == DeviceType.CPU ? output : output.to(codes.device);
    }

    /// <summary>The averaged score of each of <paramref name="m"/> coded rows (<see cref="ModelScorer.Width"/> values each).</summary>
    public double[] Score(double[] codes, int m)
    {
        int features = layout.Count;
        int explained = table.Count - backgroundRows;
        var counts = new int[m];
        long total = 0;
        for (int r = 0; r < m; r++)
        {
            bool anyAbsent = false;
            for (int f = 0; f < features; f++)
            {
                double c = codes[r * features + f];
                if (c != Math.Round(c) || c < 0 || c > explained)
                    throw new InvalidOperationException(
                        $"The method produced a value ({c}) that is neither a row of the data nor 'absent': only methods that replace whole features (KernelShap, Lime, ShapleyValueSampling, ShapleyValues, FeatureAblation, FeaturePermutation) can explain an ML.NET model.");
                anyAbsent |= c == 0;
            }
            counts[r] = anyAbsent ? backgroundRows : 1;
            total += counts[r];
        }
        var sources = new int[checked(total * features)];
        long at = 0;
        for (int r = 0; r < m; r++)
            for (int b = 0; b < counts[r]; b++, at++)
                for (int f = 0; f < features; f++)
                {
                    int c = (int)codes[r * features + f];
                    sources[at * features + f] = c == 0 ? b : backgroundRows + c - 1;
                }
        cancellation.ThrowIfCancellationRequested();
        var view = new CompositeDataView(table, layout, sources, fixedRow: 0);
        var scores = scorer.Score(view, total, cancellation);
        RowsScored += total;
        Passes++;

        int width = scorer.Width;
        var result = new double[m * width];
        long row = 0;
        for (int r = 0; r < m; r++)
        {
            for (int b = 0; b < counts[r]; b++, row++)
                for (int k = 0; k < width; k++) result[r * width + k] += scores[row * width + k];
            for (int k = 0; k < width; k++) result[r * width + k] /= counts[r];
        }
        return result;
    }
}
