using FluentAttrib.Core;
using FluentAttrib.Core.Perturbation;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Exact Shapley values: each feature's marginal gain F(S ∪ {f}) − F(S), starting from the all-baseline input and
/// averaged over all orders in which the features can be added. Equal to Captum's <c>ShapleyValues</c> (which
/// averages over all n! permutations); computed from the 2ⁿ coalitions with the Shapley weights
/// |S|!(n − |S| − 1)!/n!, which is the same value with far fewer forward passes. Features come from the feature
/// mask as in <see cref="FeatureAblation"/>. Attributions have the model output's floating dtype.
/// Without a target (<see cref="Target.None"/>) the attributions keep the model output's non-batch dimensions in
/// front of the input's, as Captum's do: a model returning (B, 1) gives (B, 1, ...) attributions.
/// </summary>
public sealed record ShapleyValues : AttributionMethod,
    IBaselineSetting, IMaskSetting, IPerturbationsPerPassSetting
{
    /// <summary>The largest number of features exact Shapley values accept (2¹⁰ = 1024 coalitions).</summary>
    public const int MaxFeatures = 10;

    private ShapleyValues(SettingValues values) : base(values) { }

    /// <summary>Every scalar its own feature, baseline 0, passes planned from the memory budget.</summary>
    public static ShapleyValues Default { get; } = new(new SettingValues());

    /// <summary>The method's settings, read back by name (<c>Settings.Baseline</c>).</summary>
    public MethodSettings<ShapleyValues> Settings => new(Values);


    /// <inheritdoc />
    public override string Describe() =>
        $"ShapleyValues({(Values.Mask is null ? "every scalar" : "feature mask")}, baselines {Values.Baseline})";

    internal override Attribution Attribute(AttributionContext context)
    {
        var inputs = context.Inputs;
        using var scope = NewDisposeScope();
        var groups = FeatureGroups.Of(Values.Mask, inputs);
        int n = groups.Count;
        if (n > MaxFeatures)
            throw new ArgumentException(
                $"Exact Shapley values over {n} features need 2^{n} forward passes of the batch; at most {MaxFeatures} features are accepted. " +
                "Group elements into fewer features with Mask(...), or use ShapleyValueSampling.Samples(...) to estimate them.",
                "featureMask");
        var baselines = Values.Baseline.MaterializeAll(inputs, context.Checks);
        var device = inputs[0].device;
        int coalitions = 1 << n;

        // Coalition m holds feature f when bit f of m is set; absent features take the baseline.
        var present = new bool[coalitions * n];
        var weights = new double[n * coalitions]; // phi = weights (n × 2ⁿ) · F (2ⁿ × B)
        var factorial = new double[n + 1];
        factorial[0] = 1;
        for (int i = 1; i <= n; i++) factorial[i] = factorial[i - 1] * i;
        for (int m = 0; m < coalitions; m++)
        {
            int size = System.Numerics.BitOperations.PopCount((uint)m);
            for (int f = 0; f < n; f++)
            {
                bool has = (m >> f & 1) == 1;
                present[m * n + f] = has;
                weights[f * coalitions + m] = has
                    ? factorial[size - 1] * factorial[n - size] / factorial[n]
                    : -factorial[size] * factorial[n - size - 1] / factorial[n];
            }
        }
        var presence = tensor(present, [coalitions, n], device: device);
        var combination = tensor(weights, [n, coalitions], dtype: ScalarType.Float64, device: device);

        var perPass = PerturbationEngine.PerturbationsPerPass(context, Values.PerturbationsPerPass);
        var outputs = PerturbationEngine.Evaluate(context, Name, coalitions, perPass, (start, k) =>
        {
            var absent = presence.narrow(0, start, k).logical_not();
            return inputs.Select((x, i) => PerturbationEngine.Replace(x, baselines[i].unsqueeze(0), groups.Select(absent, i), k)).ToArray();
        }, out var outputShape);

        var phi = combination.matmul(outputs.to(ScalarType.Float64, device)).to(outputs.dtype);
        var values = ShapleyShapes.CaptumShape(context, groups.Scatter(phi), outputShape).Select(v => v.MoveToOuterDisposeScope()).ToArray();
        return Result(context, values);
    }
}
