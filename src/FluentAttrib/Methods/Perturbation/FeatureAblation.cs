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
public sealed record FeatureAblation : AttributionMethod,
    IBaselineSetting, IMaskSetting, IPerturbationsPerPassSetting, IIncrementalSetting
{
    private FeatureAblation(SettingValues values) : base(values) { }

    /// <summary>
    /// Every scalar its own feature, ablated to 0, passes planned from the memory budget, incremental evaluation
    /// where the model allows it.
    /// </summary>
    /// <remarks>
    /// With <see cref="MethodSettingExtensions.Incremental{TMethod}"/> on (the default), for a single 4-D input of a
    /// convolutional model the analysis understands (as for <see cref="Occlusion"/>) and features whose bounding
    /// rectangles are small (e.g. a grid of superpixels), each ablated copy recomputes, layer by layer, only the
    /// region its feature's bounding rectangle can influence. Exact up to floating-point rounding; taken only where
    /// it saves at least 1.75× of the convolution multiply-adds, otherwise plain batched evaluation runs.
    /// A feature mask (<see cref="MethodSettingExtensions.Mask{TMethod}"/>) holds integer ids broadcastable to each
    /// input (e.g. (1, 1, H, W) for superpixels shared by the batch and the channels, or (B, ...) for one mask per
    /// example); an id used in several inputs is one feature across them. With
    /// <see cref="MethodSettingExtensions.PerturbationsPerPass{TMethod}"/> set, the model must return one row per example.
    /// </remarks>
    public static FeatureAblation Default { get; } = new(new SettingValues());

    /// <summary>The method's settings, read back by name (<c>Settings.Mask</c>).</summary>
    public MethodSettings<FeatureAblation> Settings => new(Values);

    /// <summary>Least saving of convolution work for which the incremental path is taken (tests set 0 to force it).</summary>
    internal double MinimumIncrementalGain { get; init; } = IncrementalEvaluator.MinimumGain;


    /// <inheritdoc />
    public override string Describe() =>
        $"FeatureAblation({(Values.Mask is null ? "every scalar" : "feature mask")}, baselines {Values.Baseline}{(Values.Incremental ? "" : ", not incremental")})";

    internal override Attribution Attribute(AttributionContext context)
    {
        var inputs = context.Inputs;
        using var scope = NewDisposeScope();
        var v = Values;
        var groups = FeatureGroups.Of(v.Mask, inputs);
        var baselines = v.Baseline.MaterializeAll(inputs, context.Checks);
        // Perturbation 0 is the batch itself; perturbation f + 1 ablates feature f.
        Tensor[] Build(Tensor numbers)
        {
            int k = (int)numbers.shape[0];
            var features = numbers.to(inputs[0].device) - 1;
            return inputs.Select((x, i) => PerturbationEngine.Replace(x, baselines[i].unsqueeze(0), groups.Where(features, i), k)).ToArray();
        }

        string? note = null; // how the incremental path went, for the attribution's description
        using var incremental = v.Incremental && inputs.Length == 1 && inputs[0].dim() == 4
            ? IncrementalEvaluator.TryCreate(context, PerturbationRegions.Features(groups, inputs[0]), v.PerturbationsPerPass, out note, MinimumIncrementalGain)
            : null;
        Tensor outputs;
        if (incremental is not null)
        {
            outputs = incremental.Evaluate(context, Name, (_, onDevice) => Build(onDevice)[0]);
        }
        else
        {
            var perPass = PerturbationEngine.PerturbationsPerPass(context, v.PerturbationsPerPass);
            outputs = PerturbationEngine.Evaluate(context, Name, groups.Count + 1, perPass,
                (start, k) => Build(arange(start, start + k, dtype: ScalarType.Int64, device: inputs[0].device)));
        }

        var differences = outputs[0].unsqueeze(0) - outputs[1..];
        var values = groups.Scatter(differences).Select(v => v.MoveToOuterDisposeScope()).ToArray();
        return new Attribution(values, null, note is null ? Describe() : $"{Describe()} — {note}", context.Target);
    }
}
