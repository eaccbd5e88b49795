using FluentAttrib.Core.Metrics;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Random logit test (Sixt et al., 2020; Quantus's <c>RandomLogit</c>): the run's method explains each example again
/// for a class drawn at random among the <c>Classes</c> classes other than the target; the score is the similarity
/// (SSIM by default) between the two attributions, preprocessed batch-wide, one value per example. Lower (the
/// explanation depends on the class) is better. Run it with
/// <c>Explain(model).For(target).With(method).Evaluate(RandomLogit.Default, input, attribution)</c>.
/// </summary>
/// <remarks>The other class is drawn with <c>Seed</c> (default 42, .NET's generator; with two classes it is always the
/// other one, as in Quantus). The target must be one class per example or one shared class. Cost: one attribution of the batch.</remarks>
public sealed record RandomLogit : ExplanationMetric, IAttributionPreprocessingSetting, ISimilaritySetting, ISeedSetting
{
    private RandomLogit(SettingValues values) : base(values) { }

    /// <summary>Quantus's defaults: 1000 classes, SSIM, seed 42, normalized by the batch maximum, signed.</summary>
    public static RandomLogit Default { get; } = new(new SettingValues
    {
        Normalization = AttributionNormalization.MaxOfBatch, Absolute = false, Classes = Defaults.RandomLogitClasses, Similarity = FluentAttrib.Similarity.Ssim, Seed = Defaults.RandomisationSeed,
    });

    /// <summary>The metric's settings, read back by name.</summary>
    public MethodSettings<RandomLogit> Settings => new(Values);

    /// <summary>The number of classes the other class is drawn from (Quantus's <c>num_classes</c>); at least 2.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is less than 2.</exception>
    public RandomLogit Classes(int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        return this with { Values = Values with { Classes = classes } };
    }

    /// <inheritdoc />
    public override string Describe() => $"RandomLogit({Values.Classes} classes, {Values.Similarity})";

    internal override bool HigherIsBetter => false;

    internal override Tensor Evaluate(MetricRequest request)
    {
        var v = Values;
        int batch = (int)request.Batch;
        var labels = Road.Labels(request.Context.Target, batch);
        var random = new Random(unchecked((int)(v.Seed ?? Defaults.RandomisationSeed)));
        var others = labels.Select(y =>
        {
            if (y < 0 || y >= v.Classes)
                throw new ArgumentException($"RandomLogit: the target class {y} is outside the {v.Classes} classes (set Classes).", "target");
            long draw = random.NextInt64(v.Classes - 1);
            return draw >= y ? draw + 1 : draw;
        }).ToArray();
        var a = MetricMath.Preprocess(request.Attribution, v.Normalization, v.Absolute);
        var e = Reexplanation.Explain(request, request.Input, Target.PerExample(others), v);
        var scores = a.Select((row, b) => MetricMath.Compare(v.Similarity, row, e[b])).ToArray();
        return MetricMath.ToTensor(scores, request.Input);
    }
}

public static partial class MethodSettingReadBack
{
    extension(MethodSettings<RandomLogit> settings)
    {
        /// <summary>The number of classes the other class is drawn from.</summary>
        public int Classes => settings.Values.Classes;
    }
}
