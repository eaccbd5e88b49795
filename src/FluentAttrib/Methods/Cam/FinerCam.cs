using FluentAttrib.Core;
using FluentAttrib.Core.Cam;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Finer-CAM (Zhang et al., 2025): a base CAM (<see cref="GradCam"/> by default) of the target
/// <see cref="Target.FinerWeighted"/>, which compares the main class with the classes whose scores are closest to it,
/// so the map shows what sets the main class apart from similar ones. Without a target, the main class is each
/// example's top class (or <see cref="MainClass"/>) and the comparison classes are the ones at
/// <see cref="ComparisonRanks"/> in the ranking by |score − main score| (rank 0 is the main class itself), as
/// pytorch-grad-cam's <c>FinerCAM</c> (its <c>target_idx</c>, <c>comparison_categories</c>, <c>alpha</c>). With a
/// target, these settings are not used. Costs what the base method costs.
/// </summary>
public sealed record FinerCam : CamMethod
{
    private FinerCam() { }

    /// <summary>pytorch-grad-cam's defaults: GradCam, comparison ranks 1, 2, 3, alpha 1, the top class as main class.</summary>
    public static FinerCam Default { get; } = new();

    /// <summary>The method's settings, read back by name (<c>Settings.Alpha</c>, <c>Settings.ComparisonRanks</c>, <c>Settings.MainClass</c>, <c>Settings.Base</c>).</summary>
    public MethodSettings<FinerCam> Settings => new(Values);

    /// <inheritdoc />
    public override string Name => "FinerCAM";

    private CamMethod BaseMethod => Values.FinerBase ?? GradCam.Default;

    /// <summary>The weight of the comparison classes' scores (pytorch-grad-cam's <c>alpha</c>; the default is <see cref="Defaults.FinerCamAlpha"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not finite.</exception>
    public FinerCam Alpha(double alpha)
    {
        if (!double.IsFinite(alpha)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "Alpha must be finite.");
        return this with { Values = Values with { Alpha = alpha } };
    }

    /// <summary>
    /// The comparison classes by rank of closeness to the main class's score (pytorch-grad-cam's
    /// <c>comparison_categories</c>; rank 1 is the closest other class). The default is 1, 2, 3.
    /// </summary>
    /// <exception cref="ArgumentException">No rank, or a rank below 1.</exception>
    public FinerCam ComparisonRanks(params int[] ranks)
    {
        ArgumentNullException.ThrowIfNull(ranks);
        if (ranks.Length == 0 || ranks.Any(r => r < 1))
            throw new ArgumentException("Give at least one comparison rank, each at least 1 (rank 0 is the main class).", nameof(ranks));
        return this with { Values = Values with { ComparisonRanks = [.. ranks] } };
    }

    /// <summary>The main class when no target is given (pytorch-grad-cam's <c>target_idx</c>); by default each example's top class.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative.</exception>
    public FinerCam MainClass(long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return this with { Values = Values with { MainClass = index } };
    }

    /// <summary>The CAM whose map is computed (pytorch-grad-cam's <c>base_method</c>; the default is <see cref="GradCam"/>).</summary>
    /// <exception cref="ArgumentException">The base is a FinerCam, or a method that does not use the target (EigenCam).</exception>
    public FinerCam Base(CamMethod method)
    {
        ArgumentNullException.ThrowIfNull(method);
        if (method is FinerCam || !method.UsesTarget)
            throw new ArgumentException($"{method.Name} cannot be FinerCam's base: it must be a CAM that uses the target.", nameof(method));
        return this with { Values = Values with { FinerBase = method } };
    }

    private protected override IEnumerable<string> DescribeOwn()
    {
        if (Values.FinerBase is { } b) yield return "base " + b.Name;
        if (Values.Alpha != Defaults.FinerCamAlpha) yield return $"alpha {Values.Alpha}";
        if (!Values.ComparisonRanks.SequenceEqual([1, 2, 3])) yield return $"ranks [{string.Join(", ", Values.ComparisonRanks)}]";
        if (Values.MainClass is { } m) yield return $"main class {m}";
    }

    internal override bool WeightsChannels => BaseMethod.WeightsChannels;

    internal override CamNeeds Needs => BaseMethod.Needs;

    internal override bool AlwaysProjects => BaseMethod.AlwaysProjects;

    internal override Tensor? ChannelWeights(CamLayer layer) => BaseMethod.ChannelWeights(layer);

    internal override Tensor Weighted(CamLayer layer, Tensor? weights) => BaseMethod.Weighted(layer, weights);

    internal override Target ResolveTarget(Target given, Tensor output)
    {
        if (!given.IsNone) return given;
        if (output.dim() != 2)
            throw new ArgumentException($"Without a target, FinerCAM compares classes of a (B, classes) output, but the model returned {Shapes.Format(output.shape)}.", "target");
        long batch = output.shape[0];
        int classes = (int)output.shape[1];
        var ranks = Values.ComparisonRanks;
        if (ranks.Any(r => r >= classes))
            throw new ArgumentException($"FinerCAM's comparison ranks [{string.Join(", ", ranks)}] need more than {classes} classes (set ComparisonRanks).", "method");
        if (Values.MainClass is { } main && main >= classes)
            throw new ArgumentOutOfRangeException("method", $"FinerCAM's main class {main} is out of range for {classes} classes.");
        var o = output.to(ScalarType.Float64).cpu().data<double>().ToArray();
        var targets = new Target[batch];
        for (int b = 0; b < batch; b++)
        {
            var row = o.AsSpan(b * classes, classes).ToArray();
            double reference = Values.MainClass is { } mc ? row[mc] : row.Max();
            var sorted = Enumerable.Range(0, classes).OrderBy(k => Math.Abs(row[k] - reference)).ToArray();
            targets[b] = Target.FinerWeighted(sorted[0], ranks.Select(r => (long)sorted[r]).ToArray(), Values.Alpha);
        }
        return Target.PerExampleTargets(targets);
    }
}
