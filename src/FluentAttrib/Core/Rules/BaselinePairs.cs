using System.Collections.Immutable;
using static TorchSharp.torch;

namespace FluentAttrib.Core.Rules;

/// <summary>
/// Every example paired with every baseline of a distribution, example-major (Captum's <c>repeat_interleave</c> of
/// the inputs and <c>repeat</c> of the baselines), with the context (targets, additional arguments) expanded to match.
/// Shared by DeepLiftShap and its layer and neuron forms.
/// </summary>
internal sealed record BaselinePairs(Tensor[] Inputs, Tensor[] Baselines, AttributionContext Context, long Batch, int Count)
{
    public static BaselinePairs Expand(AttributionContext context, ImmutableArray<Tensor> distribution, string method)
    {
        if (distribution.IsDefaultOrEmpty)
            throw new ArgumentException($"{method} needs a baseline distribution: create it with {method}.BaselineDistribution(...).", "baselines");
        // The instance setter checks only that each tensor has examples; the pairing needs N ≥ 2, the same for every input.
        BaselineDistributions.Check([.. distribution], "baselines");
        long batch = context.BatchSize;
        var fitted = BaselineDistributions.Fit(distribution, context.Inputs, method);
        int n = (int)fitted[0].shape[0];
        var inputs = context.Inputs.Select(x => x.repeat_interleave(n, dim: 0)).ToArray();
        var baselines = fitted.Select(d => d.repeat([batch, .. Enumerable.Repeat(1L, (int)d.dim() - 1)])).ToArray();
        var expanded = context.With(inputs, context.Target.Expand(n, interleave: true),
            DeepLiftEngine.RepeatInterleave(context.AdditionalArgs, batch, n));
        return new(inputs, baselines, expanded, batch, n);
    }

    /// <summary>The mean over each example's baselines of a (batch · count, ...) tensor.</summary>
    public Tensor Mean(Tensor perPair) => perPair.reshape([Batch, Count, .. perPair.shape.AsSpan(1)]).mean([1L]);
}
