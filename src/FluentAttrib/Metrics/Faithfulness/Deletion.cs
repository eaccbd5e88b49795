using FluentAttrib.Core.Metrics;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Deletion (Petsiuk et al., 2018, the RISE paper): the input's features are replaced by the substrate in descending
/// order of attribution, <c>FeaturesPerStep</c> at a time and cumulatively, and the target score is recorded before
/// and after every step: a curve of ceil(features / step) + 1 points from the unperturbed input to the fully replaced
/// one. Returns the area under it (trapezoid over [0, 1], i.e. the mean of the curve's trapezoids), shape (B), or with
/// <c>ReturnAuc(false)</c> the curve, shape (B, points). A faithful attribution makes the score fall fast: lower is better.
/// </summary>
/// <remarks>
/// Features: for images (B, C, H, W) a feature is a pixel (all its channels; the attribution is summed over the
/// channels, or given as (B, 1, H, W)); for other inputs (tabular rows, time series (B, C, T)), an element. Substrates:
/// a constant (default 0, the paper's black image for zero-centred inputs), a tensor, a blur (images: over height and
/// width; other inputs: along the last axis), or the minimum / maximum / mean of the original example.
/// Token ids: for an integer input (B, L) a feature is a token, replaced by a token id — <see cref="Substrate.Token"/>
/// (e.g. [PAD] or [MASK]) or <see cref="Substrate.Of(Tensor)"/> with a tensor of ids (e.g. [PAD] everywhere but
/// [CLS] and [SEP]) — checked against the model's embedding; a numeric substrate is refused. The attribution is (B, L),
/// or the embedding layer's (B, L, E), summed over E.
/// Cost: one forward pass per point and example, batched by the memory budget (a 100-point curve on a 224×224 image is
/// 101 forward passes of the model).
/// </remarks>
public sealed record Deletion : AttributionMetric,
    ISoftmaxSetting, ISubstrateSetting, IFeaturesPerStepSetting, IReturnAucSetting, IInternalBatchSizeSetting
{
    private Deletion(SettingValues values) : base(values) { }

    /// <summary>The RISE paper's deletion: substrate 0, one feature per step, softmax scores, the area under the curve.</summary>
    public static Deletion Default { get; } = new(new SettingValues
    {
        Softmax = true, Substrate = FluentAttrib.Substrate.Constant(0), FeaturesPerStep = 1, ReturnAuc = true, Normalization = AttributionNormalization.None, Absolute = false,
    });

    /// <summary>The default metric removing <paramref name="features"/> features per step (RISE's <c>step</c>).</summary>
    public static Deletion FeaturesPerStep(int features) => Default.FeaturesPerStep(features);

    /// <summary>The metric's settings, read back by name.</summary>
    public MethodSettings<Deletion> Settings => new(Values);

    /// <inheritdoc />
    public override string Describe() => $"Deletion({Values.FeaturesPerStep} per step, {Values.Substrate})";

    internal override bool HigherIsBetter => false;

    internal override bool AcceptsTokenIds => true;

    internal override double Summarise(double[] curve) => Core.Metrics.MetricMath.Trapezoid(curve) / (curve.Length - 1);

    internal override Tensor Evaluate(MetricRequest request) => RiseCurves.Evaluate(request, Values, Name, insertion: false);
}

/// <summary>
/// Insertion (Petsiuk et al., 2018, the RISE paper): starting from the substrate (default a Gaussian blur of the
/// input, σ = 5), the input's features are put back in descending order of attribution, <c>FeaturesPerStep</c> at a
/// time; the curve runs from the substrate to the unperturbed input. Returns the area under it (over [0, 1]), shape (B),
/// or the curve with <c>ReturnAuc(false)</c>. A faithful attribution makes the score rise fast: higher is better.
/// Features, substrates and cost as <see cref="Deletion"/>; on token ids the default blur does not apply: set
/// <c>Substrate(Substrate.Token(id))</c>.
/// </summary>
public sealed record Insertion : AttributionMetric,
    ISoftmaxSetting, ISubstrateSetting, IFeaturesPerStepSetting, IReturnAucSetting, IInternalBatchSizeSetting
{
    private Insertion(SettingValues values) : base(values) { }

    /// <summary>The RISE paper's insertion: substrate a blur of σ 5, one feature per step, softmax scores, the area under the curve.</summary>
    public static Insertion Default { get; } = new(new SettingValues
    {
        Softmax = true, Substrate = FluentAttrib.Substrate.Blur(Defaults.InsertionBlurSigma), FeaturesPerStep = 1, ReturnAuc = true, Normalization = AttributionNormalization.None, Absolute = false,
    });

    /// <summary>The default metric putting back <paramref name="features"/> features per step (RISE's <c>step</c>).</summary>
    public static Insertion FeaturesPerStep(int features) => Default.FeaturesPerStep(features);

    /// <summary>The metric's settings, read back by name.</summary>
    public MethodSettings<Insertion> Settings => new(Values);

    /// <inheritdoc />
    public override string Describe() => $"Insertion({Values.FeaturesPerStep} per step, {Values.Substrate})";

    internal override bool AcceptsTokenIds => true;

    internal override double Summarise(double[] curve) => Core.Metrics.MetricMath.Trapezoid(curve) / (curve.Length - 1);

    internal override Tensor Evaluate(MetricRequest request) => RiseCurves.Evaluate(request, Values, Name, insertion: true);
}

/// <summary>The shared computation of deletion and insertion.</summary>
internal static class RiseCurves
{
    public static Tensor Evaluate(MetricRequest request, SettingValues v, string metric, bool insertion)
    {
        var input = request.Input;
        bool tokens = IsTokenIds(input);
        if (!tokens && !input.is_floating_point())
            throw new ArgumentException($"{metric} replaces input features, which must be floating point or integer token ids, not {input.dtype}.", "input");
        var attribution = request.Attribution;
        bool image = !tokens && input.dim() == 4;
        int batch = (int)input.shape[0];
        int channels = image ? (int)input.shape[1] : 1;
        double[][] scores;
        if (image)
        {
            if (attribution.dim() != 4 || attribution.shape[2] != input.shape[2] || attribution.shape[3] != input.shape[3]
                || (attribution.shape[1] != 1 && attribution.shape[1] != input.shape[1]))
                throw new ArgumentException($"{metric}: the attribution has shape {Shapes.Format(attribution.shape)}; give (B, 1, H, W) or the input's {Shapes.Format(input.shape)}.", "attribution");
            using var perPixel = attribution.sum([1L]);
            scores = MetricMath.Rows(perPixel);
        }
        else if (tokens && attribution.dim() == input.dim() + 1 && attribution.shape.Take((int)input.dim()).SequenceEqual(input.shape))
        {
            // The attribution of the embedding layer (B, L, E): one value per token, summed over the embedding.
            using var perToken = attribution.sum([-1L]);
            scores = MetricMath.Rows(perToken);
        }
        else
        {
            if (attribution.numel() != input.numel())
                throw new ArgumentException(
                    $"{metric}: the attribution has shape {Shapes.Format(attribution.shape)} but the input {Shapes.Format(input.shape)}; they must hold as many values" +
                    (tokens ? " (or, for token ids, give the embedding's attribution (B, L, E), summed over E)." : "."), "attribution");
            scores = MetricMath.Rows(attribution);
        }
        int features = scores[0].Length, fis = v.FeaturesPerStep;
        int steps = (features + fis - 1) / fis;
        var x = MetricMath.Rows(input);
        var field = tokens ? TokenField(request, v.Substrate, metric)
            : v.Substrate.IsStatistic || v.Substrate.Kind == Substrate.SubstrateKind.Constant
                ? x.Select(row => Perturbations.OriginalValues(row, v.Substrate)).ToArray()
                : Perturbations.FieldValues(input, v.Substrate);
        var rank = new int[batch][];
        for (int b = 0; b < batch; b++)
        {
            var order = MetricMath.Descending(scores[b]);
            var featureRank = new int[features];
            for (int j = 0; j < features; j++) featureRank[order[j]] = j / fis + 1;
            rank[b] = MetricMath.Tile(featureRank.Select(r => (double)r).ToArray(), channels).Select(r => (int)r).ToArray();
        }
        var scorer = new MetricScorer(request.Context, v.Softmax, metric, v.InternalBatchSize);
        double[][] curves;
        if (insertion)
        {
            using var start = MetricMath.ToTensor(field, input).to(input.dtype).reshape(input.shape);
            curves = Perturbations.Curves(scorer, start, rank, x, Enumerable.Repeat(steps + 1, batch).ToArray(), cumulative: true);
        }
        else curves = Perturbations.Curves(scorer, input, rank, field, Enumerable.Repeat(steps + 1, batch).ToArray(), cumulative: true);
        if (!v.ReturnAuc) return MetricMath.ToTensor(curves, input);
        return MetricMath.ToTensor(curves.Select(c => MetricMath.Trapezoid(c) / (c.Length - 1)).ToArray(), input);
    }

    /// <summary>Whether <paramref name="input"/> holds token ids (Int64 or Int32, what an embedding takes).</summary>
    private static bool IsTokenIds(Tensor input) => input.dtype is ScalarType.Int64 or ScalarType.Int32;

    /// <summary>
    /// The ids that replace the tokens: a token id (<see cref="Substrate.Token"/>) or a tensor of ids broadcastable to
    /// the input; each checked against the model's embedding when it has one.
    /// </summary>
    private static double[][] TokenField(MetricRequest request, Substrate substrate, string metric)
    {
        var input = request.Input;
        var checks = request.Context.Checks;
        switch (substrate.Kind)
        {
            case Substrate.SubstrateKind.Token:
            {
                using var id = tensor(new[] { (long)substrate.Value });
                checks?.CheckTokenIds(id, $"The substrate {substrate}", "substrate");
                return Enumerable.Range(0, (int)input.shape[0]).Select(_ => Enumerable.Repeat(substrate.Value, (int)(input.numel() / input.shape[0])).ToArray()).ToArray();
            }
            case Substrate.SubstrateKind.Tensor when IsTokenIds(substrate.Field!):
            {
                using var scope = NewDisposeScope();
                Tensor ids;
                try
                {
                    ids = substrate.Field!.to(input.device).to(input.dtype).expand(input.shape);
                }
                catch (Exception e) when (e is ArgumentException or System.Runtime.InteropServices.ExternalException)
                {
                    throw new ArgumentException($"{metric}: the substrate's ids have shape {Shapes.Format(substrate.Field!.shape)}, which does not broadcast to the input's {Shapes.Format(input.shape)}.", "substrate", e);
                }
                checks?.CheckTokenIds(ids, "The substrate's ids", "substrate");
                return MetricMath.Rows(ids);
            }
            default:
                throw new ArgumentException(
                    $"{metric}: the input holds token ids ({input.dtype}), so removed tokens are replaced by a token id: use Substrate.Token(id) " +
                    $"(e.g. the tokenizer's [PAD] or [MASK] id) or Substrate.Of(a tensor of ids), not {substrate}" +
                    (substrate.Kind == Substrate.SubstrateKind.Tensor ? $" of dtype {substrate.Field!.dtype}." : "."), "substrate");
        }
    }
}
