using FluentAttrib.Core;
using FluentAttrib.Core.Incremental;
using FluentAttrib.Core.Perturbation;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Feature ablation: replaces one feature at a time by the baseline and attributes F(input) − F(ablated input) to
/// every element of that feature. Equal to Captum's <c>FeatureAblation</c>: a feature is a set of elements with
/// the same id in the feature mask (across all inputs of a multi-input model); by default every scalar is its own
/// feature. Attributions have the model output's floating dtype.
/// </summary>
public sealed record FeatureAblation : AttributionMethod
{
    private FeatureAblation() { }

    /// <summary>Every scalar its own feature, ablated to 0, passes planned from the memory budget.</summary>
    public static FeatureAblation Default { get; } = new();

    /// <summary>
    /// Groups of elements ablated together, or null for one feature per scalar (shared by the examples).
    /// <value>The default value is null.</value>
    /// </summary>
    public FeatureMask? FeatureMask { get; private init; }

    /// <summary>What an ablated feature is replaced with. <value>The default value is zero.</value></summary>
    public Baselines Baselines { get; private init; } = Baselines.Zero;

    /// <summary>
    /// Ablated copies of the batch evaluated per forward pass, or null to choose from the memory budget.
    /// <value>The default value is null.</value>
    /// </summary>
    public int? PerturbationsPerPass { get; private init; }

    /// <summary>
    /// Whether ablated copies may be evaluated incrementally (see <see cref="Incremental"/>).
    /// <value>The default value is true.</value>
    /// </summary>
    public bool IsIncremental { get; private init; } = true;

    /// <summary>Least saving of convolution work for which the incremental path is taken (tests set 0 to force it).</summary>
    internal double MinimumIncrementalGain { get; init; } = IncrementalEvaluator.MinimumGain;

    /// <summary>
    /// Turns incremental evaluation on (the default) or off. When on, for a single 4-D input of a convolutional model
    /// the analysis understands (as for <see cref="Occlusion.Incremental"/>) and features whose bounding rectangles
    /// are small (e.g. a grid of superpixels), each ablated copy recomputes, layer by layer, only the region its
    /// feature's bounding rectangle can influence. Exact up to floating-point rounding; taken only where it saves at
    /// least 1.25× of the convolution multiply-adds, otherwise plain batched evaluation runs.
    /// </summary>
    public FeatureAblation Incremental(bool enabled = true) => this with { IsIncremental = enabled };

    /// <summary>
    /// Ablates the groups that <paramref name="featureMask"/> defines: integer ids broadcastable to each input
    /// (e.g. (1, 1, H, W) for superpixels shared by the batch and the channels, or (B, ...) for one mask per example);
    /// an id used in several inputs is one feature across them.
    /// </summary>
    public FeatureAblation Mask(FeatureMask featureMask)
    {
        ArgumentNullException.ThrowIfNull(featureMask);
        return this with { FeatureMask = featureMask };
    }

    /// <summary>Replaces ablated features with <paramref name="baselines"/> (scalar, broadcastable tensor, or one per input).</summary>
    public FeatureAblation Baseline(Baselines baselines)
    {
        ArgumentNullException.ThrowIfNull(baselines);
        return this with { Baselines = baselines };
    }

    /// <summary>
    /// Evaluates <paramref name="perturbations"/> ablated copies of the batch per forward pass (Captum's
    /// <c>perturbations_per_eval</c>); the model must then return one row per example.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="perturbations"/> is less than 1.</exception>
    public FeatureAblation PerturbationsPerEval(int perturbations)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perturbations, 1);
        return this with { PerturbationsPerPass = perturbations };
    }

    /// <inheritdoc />
    public override string Name => nameof(FeatureAblation);

    /// <inheritdoc />
    public override string Describe() =>
        $"FeatureAblation({(FeatureMask is null ? "every scalar" : "feature mask")}, baselines {Baselines}{(IsIncremental ? "" : ", not incremental")})";

    internal override Attribution Attribute(AttributionContext context)
    {
        var inputs = context.Inputs;
        using var scope = NewDisposeScope();
        var groups = FeatureGroups.Of(FeatureMask, inputs);
        var baselines = Baselines.MaterializeAll(inputs);
        // Perturbation 0 is the batch itself; perturbation f + 1 ablates feature f.
        Tensor[] Build(Tensor numbers)
        {
            int k = (int)numbers.shape[0];
            var features = numbers.to(inputs[0].device) - 1;
            return inputs.Select((x, i) => PerturbationEngine.Replace(x, baselines[i].unsqueeze(0), groups.Where(features, i), k)).ToArray();
        }

        string? note = null; // how the incremental path went, for the attribution's description
        using var incremental = IsIncremental && inputs.Length == 1 && inputs[0].dim() == 4
            ? IncrementalEvaluator.TryCreate(context, Regions(groups, inputs[0]), null, PerturbationsPerPass, out note, MinimumIncrementalGain)
            : null;
        Tensor outputs;
        if (incremental is not null)
        {
            outputs = incremental.Evaluate(context, Name, numbers => Build(numbers)[0]);
        }
        else
        {
            int perPass = PerturbationEngine.PerturbationsPerPass(context, PerturbationsPerPass);
            outputs = PerturbationEngine.Evaluate(context, Name, groups.Count + 1, perPass,
                (start, k) => Build(arange(start, start + k, dtype: ScalarType.Int64, device: inputs[0].device)));
        }

        var differences = outputs[0].unsqueeze(0) - outputs[1..];
        var values = groups.Scatter(differences).Select(v => v.MoveToOuterDisposeScope()).ToArray();
        return new Attribution(values, null, note is null ? Describe() : $"{Describe()} — {note}", context.Target);
    }

    /// <summary>
    /// The bounding H × W rectangle of every feature of a single 4-D input (over the batch and the channels), as
    /// perturbations 1 … Count; perturbation 0 (the batch itself) changes nothing.
    /// </summary>
    internal static Region[] Regions(FeatureGroups groups, Tensor input)
    {
        var pos = groups.Positions[0];
        long height = input.shape[2], width = input.shape[3];
        long[] shape = pos.shape;
        var ids = pos.to(ScalarType.Int64).cpu().contiguous().data<long>().ToArray();
        int count = groups.Count;
        var y0 = Enumerable.Repeat(long.MaxValue, count).ToArray();
        var y1 = new long[count];
        var x0 = Enumerable.Repeat(long.MaxValue, count).ToArray();
        var x1 = new long[count];
        long h = shape[2], w = shape[3];
        for (long e = 0; e < ids.Length; e++)
        {
            long f = ids[e], y = e / w % h, x = e % w;
            long top = h == 1 ? 0 : y, bottom = h == 1 ? height : y + 1;
            long left = w == 1 ? 0 : x, right = w == 1 ? width : x + 1;
            y0[f] = Math.Min(y0[f], top);
            y1[f] = Math.Max(y1[f], bottom);
            x0[f] = Math.Min(x0[f], left);
            x1[f] = Math.Max(x1[f], right);
        }
        var regions = new Region[count + 1];
        regions[0] = Region.Empty;
        for (int f = 0; f < count; f++)
            regions[f + 1] = y1[f] > 0 ? new Region(y0[f], y1[f], x0[f], x1[f]) : Region.Empty;
        return regions;
    }
}
