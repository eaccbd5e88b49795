using System.Collections.Immutable;
using FluentAttrib.Core.Metrics;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Quantus's <c>Infidelity</c> (after Yeh et al., 2019), deterministic: for each patch size the image's square patches
/// (row-major, spanning every channel) are replaced cumulatively by the substrate of the copy perturbed so far; after
/// each, d_k = y(x) − y(x_k) is compared with s_k = Σ attribution·(x − x_k); the score is the mean over patches of
/// (d_k − s_k)², averaged over the patch sizes, one value per example. Lower is better. For Captum's Monte-Carlo
/// infidelity see <see cref="Infidelity"/>.
/// </summary>
/// <remarks>Every patch size must divide the height and the width. Quantus repeats the computation
/// <c>n_perturb_samples</c> times with identical results; it is made once here. Cost: one forward pass per patch and
/// example, batched.</remarks>
public sealed record PatchInfidelity : AttributionMetric,
    IAttributionPreprocessingSetting, ISoftmaxSetting, ISubstrateSetting, IPatchSizeSetting, IInternalBatchSizeSetting
{
    private PatchInfidelity(SettingValues values) : base(values) { }

    /// <summary>Quantus's defaults: patches of 4, substrate minimum, attributions as given (no normalization, signed), logits.</summary>
    public static PatchInfidelity Default { get; } = new(new SettingValues
    {
        Normalization = AttributionNormalization.None, Absolute = false, Softmax = false, Substrate = FluentAttrib.Substrate.Minimum, PatchSizes = [Defaults.PatchInfidelityPatchSize],
    });

    /// <summary>The metric's settings, read back by name.</summary>
    public MethodSettings<PatchInfidelity> Settings => new(Values);

    /// <summary>Uses patches of each of <paramref name="sizes"/>, averaging the scores (Quantus's <c>perturb_patch_sizes</c>).</summary>
    /// <exception cref="ArgumentException">No size given, or a size is less than 1.</exception>
    public PatchInfidelity PatchSizes(params int[] sizes)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        if (sizes.Length == 0 || sizes.Any(s => s < 1)) throw new ArgumentException("Give at least one patch size, each at least 1.", nameof(sizes));
        return this with { Values = Values with { PatchSizes = sizes.ToImmutableArray() } };
    }

    /// <inheritdoc />
    public override string Describe() => $"PatchInfidelity(patches {string.Join(", ", Values.PatchSizes)}, {Values.Substrate})";

    internal override bool HigherIsBetter => false;

    internal override Tensor Evaluate(MetricRequest request)
    {
        var v = Values;
        var data = PreparedBatch.Of(request, v, Name);
        data.RequireImages(Name);
        var shape = data.ExampleShape;
        foreach (int p in v.PatchSizes)
            if (shape[1] % p != 0 || shape[2] % p != 0)
                throw new ArgumentException($"{Name}: patch size {p} does not divide the image's {shape[1]}×{shape[2]}.", "patchSizes");
        var scorer = new MetricScorer(request.Context, v.Softmax, Name, v.InternalBatchSize);
        var original = scorer.Scores(data.Input);
        var total = new double[data.Batch];
        foreach (int p in v.PatchSizes)
        {
            var grid = new PatchGrid(shape, p);
            var rank = new int[data.Batch][];
            var values = new double[data.Batch][];
            for (int b = 0; b < data.Batch; b++)
            {
                rank[b] = new int[data.Elements];
                for (int q = 0; q < grid.Patches; q++)
                    foreach (int cell in grid.Cells(q)) rank[b][cell] = q;
                values[b] = Perturbations.ProgressiveValues(data.X[b], rank[b], grid.Patches, v.Substrate);
            }
            var curves = Perturbations.Curves(scorer, data.Input, rank, values, Enumerable.Repeat(grid.Patches, data.Batch).ToArray(), cumulative: true);
            for (int b = 0; b < data.Batch; b++)
            {
                // s_k = Σ over the elements replaced so far of a·(x − value).
                var stepSums = new double[grid.Patches];
                for (int i = 0; i < data.Elements; i++) stepSums[rank[b][i]] += data.A[b][i] * (data.X[b][i] - values[b][i]);
                double s = 0, loss = 0;
                for (int k = 0; k < grid.Patches; k++)
                {
                    s += stepSums[k];
                    double d = original[b] - curves[b][k];
                    loss += (d - s) * (d - s);
                }
                total[b] += loss / grid.Patches;
            }
        }
        return MetricMath.ToTensor(total.Select(t => t / v.PatchSizes.Length).ToArray(), data.Input);
    }
}
