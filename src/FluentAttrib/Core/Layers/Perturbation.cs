using static TorchSharp.torch;

namespace FluentAttrib.Core.Layers;

/// <summary>
/// The feature-ablation loop that LayerFeatureAblation, LayerFeaturePermutation and NeuronFeatureAblation share
/// (Captum's cross-tensor FeatureAblation): every feature (a mask id, across all perturbed tensors) gets
/// F(x) − F(x with the feature perturbed), written to each of its elements; several features are evaluated per pass.
/// </summary>
internal static class Perturbation
{
    /// <summary>One id per element of each tensor's first example, continuing across tensors, shaped (1, ...).</summary>
    public static Tensor[] DefaultMasks(IReadOnlyList<Tensor> tensors)
    {
        long next = 0;
        var masks = new Tensor[tensors.Count];
        for (int i = 0; i < tensors.Count; i++)
        {
            var shape = tensors[i].shape.ToArray();
            shape[0] = 1;
            long n = Shapes.Product(shape);
            masks[i] = arange(next, next + n, dtype: ScalarType.Int64, device: tensors[i].device).reshape(shape);
            next += n;
        }
        return masks;
    }

    /// <param name="ctx">The run (progress, cancellation).</param>
    /// <param name="tensors">What is perturbed, each (B, ...).</param>
    /// <param name="masks">Feature ids, each broadcast to its tensor's shape.</param>
    /// <param name="initial">F(x) per example, (B).</param>
    /// <param name="perPass">Features evaluated per forward pass.</param>
    /// <param name="perturb">(tensor index, tensor, boolean mask of the feature) → perturbed tensor.</param>
    /// <param name="evaluate">(k copies of the tensors, concatenated copy after copy; k) → F per row, (k·B).</param>
    /// <param name="method">For progress reports.</param>
    public static Tensor[] Attribute(AttributionContext ctx, IReadOnlyList<Tensor> tensors, IReadOnlyList<Tensor> masks, Tensor initial,
        int perPass, Func<int, Tensor, Tensor, Tensor> perturb, Func<Tensor[], int, Tensor> evaluate, string method)
    {
        long batch = tensors[0].shape[0];
        var idsPerTensor = masks.Select(m => new HashSet<long>(m.unique().output.cpu().data<long>().ToArray())).ToArray();
        var features = new List<long>();
        var seen = new HashSet<long>();
        foreach (var m in masks)
            foreach (var id in m.unique().output.cpu().data<long>().ToArray())
                if (seen.Add(id)) features.Add(id);

        var totals = tensors.Select(t => zeros(t.shape, dtype: initial.dtype, device: t.device)).ToArray();
        int passes = (features.Count + perPass - 1) / perPass, done = 0;
        ctx.Report(method, 0, passes + 1);
        for (int start = 0; start < features.Count; start += perPass)
        {
            ctx.ThrowIfCancelled();
            using var scope = NewDisposeScope();
            var group = features.GetRange(start, Math.Min(perPass, features.Count - start));
            int k = group.Count;
            var batchTensors = new Tensor[tensors.Count];
            var featureMasks = new Tensor[tensors.Count][];
            for (int i = 0; i < tensors.Count; i++)
            {
                if (!group.Any(idsPerTensor[i].Contains))
                {
                    batchTensors[i] = k == 1 ? tensors[i] : cat(Enumerable.Repeat(tensors[i], k).ToArray(), 0);
                    continue;
                }
                featureMasks[i] = group.Select(id => masks[i].eq(id)).ToArray();
                batchTensors[i] = cat(featureMasks[i].Select(m => perturb(i, tensors[i], m)).ToArray(), 0);
            }
            var output = evaluate(batchTensors, k);
            if (output.numel() != k * batch)
                throw new InvalidOperationException($"{method}: the perturbed evaluation returned {output.numel()} values for {k * batch} rows.");
            var diff = initial.reshape(1, batch) - output.reshape(k, batch).to(initial.dtype);
            for (int i = 0; i < tensors.Count; i++)
            {
                if (featureMasks[i] is not { } fm) continue;
                for (int j = 0; j < k; j++)
                {
                    var d = diff[j].reshape([batch, .. Enumerable.Repeat(1L, (int)tensors[i].dim() - 1)]);
                    totals[i].add_(d * fm[j].to(initial.dtype));
                }
            }
            done++;
            ctx.Report(method, done + 1, passes + 1);
        }
        return totals;
    }

    /// <summary>Features per pass: the explicit setting, or what the memory budget allows for the run's inputs.</summary>
    public static int PerPass(AttributionContext ctx, int? perturbationsPerEval) =>
        perturbationsPerEval ?? Math.Max(1, BatchPlanner.ExamplesPerPass(ctx, ctx.Inputs, withGradients: false) / (int)Math.Max(1, ctx.BatchSize));

    /// <summary>
    /// A random permutation of the batch that is not the identity (Captum's FeaturePermutation), drawn with the
    /// torch random generator, or <paramref name="generator"/> when given.
    /// </summary>
    public static Tensor NonIdentityPermutation(long n, Device device, Generator? generator = null)
    {
        if (n < 2) throw new ArgumentException("Feature permutation needs a batch of at least 2 examples to permute.", "inputs");
        using var identity = arange(n, dtype: ScalarType.Int64);
        while (true)
        {
            var perm = randperm(n, dtype: ScalarType.Int64, generator: generator);
            if (!perm.eq(identity).all().item<bool>()) return perm.to(device);
            perm.Dispose();
        }
    }
}
