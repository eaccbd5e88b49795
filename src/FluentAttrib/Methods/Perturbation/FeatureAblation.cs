using FluentAttrib.Core;
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
        $"FeatureAblation({(FeatureMask is null ? "every scalar" : "feature mask")}, baselines {Baselines})";

    internal override Attribution Attribute(AttributionContext context)
    {
        var inputs = context.Inputs;
        using var scope = NewDisposeScope();
        var groups = FeatureGroups.Of(FeatureMask, inputs);
        var baselines = Baselines.MaterializeAll(inputs);
        int perPass = PerturbationEngine.PerturbationsPerPass(context, PerturbationsPerPass);

        // Perturbation 0 is the batch itself; perturbation f + 1 ablates feature f.
        var outputs = PerturbationEngine.Evaluate(context, Name, groups.Count + 1, perPass, (start, k) =>
        {
            var features = arange(start - 1, start - 1 + k, dtype: ScalarType.Int64, device: inputs[0].device);
            return inputs.Select((x, i) => PerturbationEngine.Replace(x, baselines[i].unsqueeze(0), groups.Where(features, i), k)).ToArray();
        });

        var differences = outputs[0].unsqueeze(0) - outputs[1..];
        var values = groups.Scatter(differences).Select(v => v.MoveToOuterDisposeScope()).ToArray();
        return Result(context, values);
    }
}
