using System.Collections.Immutable;
using FluentAttrib.Core.Metrics;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// ROAD, remove and debias (Rong et al., 2022; Quantus's <c>ROAD</c>): for each percentage p the top
/// int(pixels·p/100) pixels by attribution of the original image (most relevant first, MoRF, Quantus's only order;
/// or least relevant first, LeRF, with <c>Order</c>) are imputed by noisy linear
/// imputation, and the result is 1 when the model still predicts the target class (argmax), else 0. Returns a Float64
/// (B, percentages) matrix of 0/1; its mean over examples (<c>mean(0)</c>) is Quantus's percentage curve. A faithful
/// attribution makes accuracy fall fast under MoRF (lower is better) and slowly under LeRF (higher is better).
/// </summary>
/// <remarks>
/// The attribution ranks pixels: (B, 1, H, W), or (B, C, H, W) summed over the channels (Quantus accepts only
/// one-channel images); every channel of a chosen pixel is imputed. The target must be one class per example (or one
/// shared class). Noise: <c>StdDev</c> (Quantus's <c>noise</c>, default 0.01) times N(0, 1), drawn with <c>Seed</c>;
/// <c>StdDev(0)</c> is deterministic. Cost: one sparse solve and one forward pass per percentage and example, batched.
/// </remarks>
public sealed record Road : AttributionMetric,
    IAttributionPreprocessingSetting, IOrderSetting, INoiseSetting, ISeedSetting, IInternalBatchSizeSetting
{
    private Road(SettingValues values) : base(values) { }

    /// <summary>Quantus's defaults: most relevant first, percentages 1, 3, …, 99, noise 0.01, normalized by the batch maximum, signed.</summary>
    public static Road Default { get; } = new(new SettingValues
    {
        Normalization = AttributionNormalization.MaxOfBatch, Absolute = false, StdDevs = [Defaults.RoadNoise],
        Percentages = Enumerable.Range(0, 50).Select(i => 1.0 + 2 * i).ToImmutableArray(),
    });

    /// <summary>The metric's settings, read back by name.</summary>
    public MethodSettings<Road> Settings => new(Values);

    /// <summary>The percentages of pixels imputed, each in [0, 100) (Quantus's <c>percentages</c>).</summary>
    /// <exception cref="ArgumentException">No percentage, or one outside [0, 100).</exception>
    public Road Percentages(params double[] percentages)
    {
        ArgumentNullException.ThrowIfNull(percentages);
        if (percentages.Length == 0 || percentages.Any(p => !(p >= 0 && p < 100)))
            throw new ArgumentException("Give at least one percentage, each in [0, 100).", nameof(percentages));
        return this with { Values = Values with { Percentages = percentages.ToImmutableArray() } };
    }

    /// <inheritdoc />
    public override string Describe() => $"ROAD({Values.Percentages.Length} percentages, noise {Values.StdDevs[0]})";

    internal override bool HigherIsBetter => Values.Order == PerturbationOrder.LeastRelevantFirst;

    internal override Tensor Evaluate(MetricRequest request)
    {
        var v = Values;
        var input = request.Input;
        if (input.dim() != 4) throw new ArgumentException($"ROAD needs images (B, C, H, W); the input has shape {Shapes.Format(input.shape)}.", "input");
        if (!input.is_floating_point()) throw new ArgumentException($"ROAD imputes the input, which must be floating point, not {input.dtype}.", "input");
        int batch = (int)input.shape[0], channels = (int)input.shape[1], height = (int)input.shape[2], width = (int)input.shape[3];
        var att = request.Attribution;
        if (att.dim() != 4 || att.shape[2] != height || att.shape[3] != width || (att.shape[1] != 1 && att.shape[1] != channels))
            throw new ArgumentException($"ROAD needs an attribution of shape (B, 1, H, W) or the input's; got {Shapes.Format(att.shape)}.", "attribution");
        using var perPixel = att.shape[1] == 1 ? att.alias() : att.sum([1L], keepdim: true);
        var a = MetricMath.Preprocess(perPixel, v.Normalization, v.Absolute);
        var labels = Labels(request.Context.Target, batch);
        var x = MetricMath.Rows(input);
        int size = height * width;
        var percentages = v.Percentages;
        var orders = a.Select(r => v.Order == PerturbationOrder.MostRelevantFirst ? MetricMath.Descending(r) : MetricMath.Ascending(r)).ToArray();
        double noise = v.StdDevs[0];
        var random = v.Seed is { } seed ? new Random(unchecked((int)seed)) : new Random();
        double Gaussian() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

        var owners = Enumerable.Range(0, batch).SelectMany(b => Enumerable.Repeat((long)b, percentages.Length)).ToArray();
        var scorer = new MetricScorer(request.Context, softmax: false, Name, v.InternalBatchSize);
        var predictions = scorer.Predictions(owners.Length, owners, (start, count) =>
        {
            var rows = new double[count * x[0].Length];
            for (int j = 0; j < count; j++)
            {
                int b = (start + j) / percentages.Length;
                double p = percentages[(start + j) % percentages.Length];
                int k = (int)Math.Floor(size * p / 100);
                NoisyLinearImputation.Impute(x[b], channels, height, width, orders[b][..k], noise, Gaussian).CopyTo(rows, j * x[0].Length);
            }
            return tensor(rows, dtype: ScalarType.Float64).to(input.dtype).to(input.device).reshape(count, channels, height, width);
        });
        var result = new double[owners.Length];
        for (int r = 0; r < owners.Length; r++) result[r] = predictions[r] == labels[owners[r]] ? 1 : 0;
        return tensor(result, dtype: ScalarType.Float64).reshape(batch, percentages.Length).to(input.device);
    }

    /// <summary>One class per example from the target (a class index, or one per example).</summary>
    internal static long[] Labels(Target target, int batch)
    {
        if (target.Shared is { Length: 1 } s) return Enumerable.Repeat(s[0], batch).ToArray();
        if (target.PerExampleIndices is { } list && list.All(t => t.Length == 1)) return list.Select(t => t[0]).ToArray();
        throw new ArgumentException($"ROAD compares the predicted class with the target: give one class index, or one per example (target {target}).", "target");
    }
}

public static partial class MethodSettingReadBack
{
    extension(MethodSettings<Road> settings)
    {
        /// <summary>The percentages of pixels imputed.</summary>
        public IReadOnlyList<double> Percentages => settings.Values.Percentages;
    }
}
