using FluentAttrib.Core;
using FluentAttrib.Core.Perturbation;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Permutation feature importance: shuffles one feature at a time across the examples of the batch and attributes
/// F(input) − F(shuffled input) to every element of that feature. Equal to Captum's <c>FeaturePermutation</c>:
/// each feature gets a random permutation of the batch that is never the identity (redrawn if it is), drawn
/// separately for each input the feature spans; features come from the feature mask as in
/// <see cref="FeatureAblation"/>. Needs a batch of at least 2 examples. Attributions have the model output's
/// floating dtype.
/// </summary>
public sealed record FeaturePermutation : AttributionMethod,
    IMaskSetting, ISeedSetting, IPerturbationsPerPassSetting
{
    private FeaturePermutation(SettingValues values) : base(values) { }

    /// <summary>Every scalar its own feature, torch's default random generator, passes planned from the memory budget.</summary>
    public static FeaturePermutation Default { get; } = new(new SettingValues());

    /// <summary>The method's settings, read back by name (<c>Settings.Seed</c>).</summary>
    public MethodSettings<FeaturePermutation> Settings => new(Values);


    /// <inheritdoc />
    public override string Describe() =>
        $"FeaturePermutation({(Values.Mask is null ? "every scalar" : "feature mask")}{(Values.Seed is { } s ? $", seed {s}" : "")})";

    internal override Attribution Attribute(AttributionContext context)
    {
        var inputs = context.Inputs;
        long batch = context.BatchSize;
        if (batch < 2)
            throw new ArgumentException(
                $"FeaturePermutation shuffles features across the batch, so it needs at least 2 examples; the batch has {batch}.", "inputs");
        using var scope = NewDisposeScope();
        var groups = FeatureGroups.Of(Values.Mask, inputs);
        var perPass = PerturbationEngine.PerturbationsPerPass(context, Values.PerturbationsPerPass);
        using var generator = RandomPermutations.CreateGenerator(Values.Seed, inputs[0].device);

        // Perturbation 0 is the batch itself; perturbation f + 1 permutes feature f.
        var outputs = PerturbationEngine.Evaluate(context, Name, groups.Count + 1, perPass, (start, k) =>
        {
            var features = arange(start - 1, start - 1 + k, dtype: ScalarType.Int64, device: inputs[0].device);
            var batchOut = new Tensor[inputs.Length];
            for (int i = 0; i < inputs.Length; i++)
            {
                var x = inputs[i];
                var order = RandomPermutations.DrawNonIdentity(k, batch, x.device, generator);
                var shuffled = x.index_select(0, order.reshape(-1)).reshape([k, .. x.shape]);
                batchOut[i] = PerturbationEngine.Replace(x, shuffled, groups.Where(features, i), k);
            }
            return batchOut;
        });

        var differences = outputs[0].unsqueeze(0) - outputs[1..];
        var values = groups.Scatter(differences).Select(v => v.MoveToOuterDisposeScope()).ToArray();
        return Result(context, values);
    }
}
