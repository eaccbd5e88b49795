using FluentAttrib.Core.Metrics;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Iterative removal of features (Rieger and Hansen, 2020; Quantus's <c>IROF</c>): the example's segments (superpixels,
/// given with <c>Mask</c>) are ranked by their mean attribution and replaced cumulatively, most relevant first, by the
/// substrate of the whole batch perturbed so far; with r_t = y(x_t) / y(x), the score is the area over the curve,
/// segments − trapezoid(r_1 … r_L) (examples with fewer segments than the longest, L, get r = 0 past their end), one
/// value per example. Higher is better. Quantus returns the mean over the batch by default; take <c>mean()</c> of the result.
/// </summary>
/// <remarks>
/// Quantus computes SLIC superpixels itself (scikit-image); here the segmentation is an input: an integer
/// <see cref="FeatureMask"/> broadcastable to the input, e.g. (B, 1, H, W), equal ids forming one segment (spanning the
/// channels). Without a mask every position is its own segment. Cost: one forward pass per segment and example, batched.
/// </remarks>
public sealed record Irof : AttributionMetric,
    IAttributionPreprocessingSetting, ISoftmaxSetting, ISubstrateSetting, IMaskSetting, IInternalBatchSizeSetting
{
    private Irof(SettingValues values) : base(values) { }

    /// <summary>Quantus's defaults: substrate mean (of the batch), normalized by the batch maximum, signed, softmax scores, no segmentation (one segment per position).</summary>
    public static Irof Default { get; } = new(new SettingValues
    {
        Normalization = AttributionNormalization.MaxOfBatch, Absolute = false, Softmax = true, Substrate = FluentAttrib.Substrate.Mean,
    });

    /// <summary>The default metric with the segmentation <paramref name="segments"/>.</summary>
    public static Irof Mask(FeatureMask segments) => Default.Mask(segments);

    /// <summary>The metric's settings, read back by name.</summary>
    public MethodSettings<Irof> Settings => new(Values);

    /// <inheritdoc />
    public override string Describe() => $"IROF({(Values.Mask is null ? "per position" : "segments")}, {Values.Substrate})";

    internal override Tensor Evaluate(MetricRequest request)
    {
        var v = Values;
        v.Substrate.RequireValue(Name);
        var data = PreparedBatch.Of(request, v, Name);
        int n = data.Elements, batch = data.Batch;
        long[][] ids;
        if (v.Mask is { } mask)
        {
            if (mask.Masks.Length != 1) throw new ArgumentException($"{Name} takes one segmentation for its one input.", "mask");
            using var expanded = mask.Expand([data.Input], "mask")[0];
            ids = MetricMath.Rows(expanded).Select(r => r.Select(x => (long)x).ToArray()).ToArray();
        }
        else
        {
            var spatial = data.Input.dim() >= 3 ? (int)data.ExampleShape.Skip(1).Aggregate(1L, (a, b) => a * b) : n;
            ids = Enumerable.Range(0, batch).Select(_ => Enumerable.Range(0, n).Select(i => (long)(i % spatial)).ToArray()).ToArray();
        }

        // Segments per example, ordered by descending mean attribution.
        var segmentOf = new int[batch][];
        var orders = new int[batch][];
        for (int b = 0; b < batch; b++)
        {
            var distinct = ids[b].Distinct().Order().ToArray();
            var index = distinct.Select((id, i) => (id, i)).ToDictionary(t => t.id, t => t.i);
            segmentOf[b] = ids[b].Select(id => index[id]).ToArray();
            var sum = new double[distinct.Length];
            var count = new int[distinct.Length];
            for (int i = 0; i < n; i++)
            {
                sum[segmentOf[b][i]] += data.A[b][i];
                count[segmentOf[b][i]]++;
            }
            orders[b] = MetricMath.Descending(sum.Select((s, i) => s / count[i]).ToArray());
        }
        int longest = orders.Max(o => o.Length);

        // Step t replaces segment t of every example by the substrate of the whole batch perturbed so far.
        var rank = new int[batch][];
        var values = new double[batch][];
        var current = data.X.Select(x => (double[])x.Clone()).ToArray();
        for (int b = 0; b < batch; b++)
        {
            var stepOfSegment = new int[orders[b].Length];
            for (int t = 0; t < orders[b].Length; t++) stepOfSegment[orders[b][t]] = t;
            rank[b] = segmentOf[b].Select(s => stepOfSegment[s]).ToArray();
            values[b] = (double[])data.X[b].Clone();
        }
        var members = new List<int>[batch][];
        for (int b = 0; b < batch; b++)
        {
            members[b] = new List<int>[orders[b].Length];
            for (int i = 0; i < n; i++) (members[b][rank[b][i]] ??= []).Add(i);
        }
        for (int t = 0; t < longest; t++)
        {
            double value = v.Substrate.Kind == Substrate.SubstrateKind.Constant ? v.Substrate.Value : v.Substrate.Of(current.SelectMany(r => r).ToArray());
            for (int b = 0; b < batch; b++)
                if (t < members[b].Length)
                    foreach (int i in members[b][t])
                    {
                        current[b][i] = value;
                        values[b][i] = value;
                    }
        }

        var scorer = new MetricScorer(request.Context, v.Softmax, Name, v.InternalBatchSize);
        var original = scorer.Scores(data.Input);
        var curves = Perturbations.Curves(scorer, data.Input, rank, values, orders.Select(o => o.Length).ToArray(), cumulative: true);
        var result = new double[batch];
        for (int b = 0; b < batch; b++)
        {
            var ratios = new double[longest];
            for (int t = 0; t < curves[b].Length; t++) ratios[t] = curves[b][t] / original[b];
            result[b] = orders[b].Length - MetricMath.Trapezoid(ratios);
        }
        return MetricMath.ToTensor(result, data.Input);
    }
}
