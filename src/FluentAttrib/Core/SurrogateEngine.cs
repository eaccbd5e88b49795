using static TorchSharp.torch;

namespace FluentAttrib.Core;

/// <summary>Settings shared by the surrogate methods (Lime, KernelShap).</summary>
internal sealed record SurrogateSettings(
    int Samples, Baselines Baselines, FeatureMask? Mask, int? PerturbationsPerEval, bool ReturnInputShape, long? Seed,
    SurrogateModel Model);

/// <summary>
/// The surrogate-model loop of Captum's <c>LimeBase</c>, run per example as Captum's <c>Lime._attribute_kwargs</c>
/// does for a batch: draw binary samples over the interpretable features, turn each into an input (kept features
/// take the input's values, the others the baseline's), evaluate the model on batches of them, weigh them, and fit
/// the surrogate; its coefficients are the attributions.
/// </summary>
internal static class SurrogateEngine
{
    public static Tensor[] Run(AttributionContext ctx, SurrogateSettings settings, SurrogateSampler sampler, string method)
    {
        var inputs = ctx.Inputs;
        long batch = ctx.BatchSize;
        if (batch == 0) throw new ArgumentException("The batch is empty: give at least one example.", nameof(inputs));
        var device = inputs[0].device;
        var dtypes = inputs.Select(x => x.is_floating_point() ? x.dtype : ScalarType.Float32).ToArray();
        int perPass = settings.PerturbationsPerEval ?? BatchPlanner.ExamplesPerPass(ctx, inputs, withGradients: false);
        int Passes(int samples) => (samples + perPass - 1) / perPass;
        int totalPasses = checked((int)(batch * Passes(settings.Samples)));
        // A planned pass size on a CPU is checked against the model's largest layer during the first pass.
        var measured = settings.PerturbationsPerEval is null && perPass > 1 && Passes(settings.Samples) > 2 ? LayerFootprint.ToMeasure(ctx) : null;

        var baselines = settings.Baselines.MaterializeAll(inputs, ctx.Checks);
        using var features = InterpretableFeatures.Build(inputs, settings.Mask);
        using var generator = settings.Seed is { } seed ? new Generator(unchecked((ulong)seed), device) : null;

        var perExample = new List<Tensor[]>((int)batch);
        int done = 0;
        try
        {
            for (int e = 0; e < batch; e++)
            {
                using var exampleScope = NewDisposeScope();
                var x = inputs.Select(t => t.narrow(0, e, 1)).ToArray();
                var b = baselines.Select(t => t.narrow(0, e, 1)).ToArray();
                var ids = features.IdsOf(e);
                var target = ExampleSlicing.TargetOf(ctx.Target, e);
                var single = ctx.With(x, target, ExampleSlicing.AdditionalOf(ctx.AdditionalArgs, batch, e));

                var rows = new List<Tensor>();
                var outputs = new List<Tensor>();
                var weights = new List<Tensor>();
                for (int start = 0, k; start < settings.Samples; start += k)
                {
                    ctx.ThrowIfCancelled();
                    using var passScope = NewDisposeScope();
                    k = Math.Min(perPass, settings.Samples - start);
                    var samples = stack(Enumerable.Range(start, k).Select(i => sampler.Draw(i, features.Count, generator, device)).ToArray(), 0);
                    var perturbed = InterpretableFeatures.Perturb(samples, x, b, ids);
                    Tensor y;
                    if (measured is not null)
                    {
                        int copies = k;
                        (y, long largest) = LayerFootprint.Run(measured, () => single.ForwardSelected(perturbed, target.Expand(copies, interleave: false), expansion: copies));
                        measured = null;
                        int fitting = LayerFootprint.Fitting(largest, k, perPass);
                        if (fitting < perPass)
                        {
                            perPass = fitting;
                            totalPasses = checked(done + 1 + Passes(settings.Samples - start - k) + (int)(batch - e - 1) * Passes(settings.Samples));
                        }
                    }
                    else
                    {
                        y = single.ForwardSelected(perturbed, target.Expand(k, interleave: false), expansion: k);
                    }
                    var w = sampler.Weights(samples, x, perturbed);
                    rows.Add(samples.to(ScalarType.Float64).MoveToOuterDisposeScope());
                    outputs.Add(y.to(ScalarType.Float64).MoveToOuterDisposeScope());
                    weights.Add(w.MoveToOuterDisposeScope());
                    ctx.Report(method, ++done, totalPasses);
                }

                var coefficients = settings.Model.Fit(cat(rows, 0), cat(outputs, 0), cat(weights, 0));
                var result = settings.ReturnInputShape
                    ? InterpretableFeatures.Spread(coefficients, x, ids, dtypes)
                    : [coefficients.reshape(1, -1).to(dtypes[0])];
                perExample.Add(result.Select(t => t.DetachFromDisposeScope()).ToArray());
            }
            return Enumerable.Range(0, perExample[0].Length).Select(j => cat(perExample.Select(p => p[j]).ToArray(), 0)).ToArray();
        }
        finally
        {
            foreach (var p in perExample) foreach (var t in p) t.Dispose();
            foreach (var t in baselines) t.Dispose();
        }
    }
}
