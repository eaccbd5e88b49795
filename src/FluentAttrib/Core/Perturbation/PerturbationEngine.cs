using static TorchSharp.torch;

namespace FluentAttrib.Core.Perturbation;

/// <summary>
/// Builds the attributed inputs of perturbations <c>[start, start + count)</c>: for each input, <c>count</c>
/// perturbed copies of the whole batch stacked copy after copy along the batch dimension, shape
/// <c>(count·B, ...)</c>. Called inside a dispose scope per pass.
/// </summary>
internal delegate Tensor[] PerturbedBatch(int start, int count);

/// <summary>
/// Computes the model output of perturbations <c>[start, start + count)</c> from their inputs (as
/// <see cref="PerturbedBatch"/> built them), in place of the plain forward pass; called under no_grad.
/// </summary>
internal delegate Tensor PerturbedForward(int start, int count, Tensor[] inputs);

/// <summary>
/// Receives the selected outputs of perturbations <c>[start, start + count)</c>, shape (count, B), inside the pass's
/// dispose scope, right after the pass's forward: a method that accumulates pass by pass can reuse what it built
/// for the pass instead of rebuilding it later.
/// </summary>
internal delegate void PassOutputs(int start, int count, Tensor selected);

/// <summary>
/// The shared machinery of the perturbation methods: a method describes its work as a numbered list of perturbed
/// copies of the batch; the engine evaluates them in passes of up to <c>perturbationsPerEval</c> copies (one
/// forward per pass, copies stacked along the batch dimension, targets and additional arguments tiled to match),
/// reports progress, honours cancellation between passes and returns the selected output of every copy.
/// </summary>
internal static class PerturbationEngine
{
    /// <summary>
    /// Copies per forward pass: <see cref="Count"/>, and whether it was planned (<see cref="Automatic"/>) rather than
    /// set by the user; a planned size may be lowered once the first pass has shown how large the model's layers are.
    /// </summary>
    public readonly record struct PassSize(int Count, bool Automatic);

    /// <summary>
    /// Copies per pass: <paramref name="requested"/> when given, otherwise as many batch copies as the memory
    /// budget allows for a forward-only pass (at least 1), marked automatic so that the engine may lower it after the
    /// first pass (see <see cref="BatchPlanner.PassLayerBytes"/>).
    /// </summary>
    public static PassSize PerturbationsPerPass(AttributionContext ctx, int? requested)
    {
        if (requested is { } r) return new PassSize(r, Automatic: false);
        int examples = BatchPlanner.ExamplesPerPass(ctx, ctx.Inputs, withGradients: false);
        return new PassSize((int)Math.Max(1, examples / Math.Max(1, ctx.BatchSize)), Automatic: true);
    }

    /// <summary>Number of forward passes the engine makes for <paramref name="total"/> copies.</summary>
    public static int Passes(int total, int perPass) => (total + perPass - 1) / perPass;

    /// <summary>
    /// Evaluates <paramref name="total"/> perturbed copies of the batch and returns the selected outputs, shape
    /// (total, B), in the model output's floating dtype (float32 when the output is not floating-point), on the
    /// output's device. The result belongs to the caller's dispose scope.
    /// </summary>
    /// <exception cref="ArgumentException">The model output does not have one row per example of a stacked batch.</exception>
    /// <exception cref="OperationCanceledException">Cancelled between passes.</exception>
    public static Tensor Evaluate(AttributionContext ctx, string method, int total, PassSize perPass, PerturbedBatch build) =>
        Evaluate(ctx, method, total, perPass, build, out _);

    /// <summary>
    /// As <see cref="Evaluate(AttributionContext, string, int, PassSize, PerturbedBatch)"/>, also giving the model
    /// output's shape without the batch dimension.
    /// </summary>
    /// <param name="ctx">The attribution call.</param>
    /// <param name="method">Method name for progress reports.</param>
    /// <param name="total">Number of perturbed copies.</param>
    /// <param name="perPass">Copies per forward pass.</param>
    /// <param name="build">Builds the copies of one pass.</param>
    /// <param name="outputShape">The model output's shape without the batch dimension.</param>
    public static Tensor Evaluate(AttributionContext ctx, string method, int total, PassSize perPass, PerturbedBatch build, out long[] outputShape) =>
        Evaluate(ctx, method, total, perPass, build, null, out outputShape);

    /// <summary>
    /// As <see cref="Evaluate(AttributionContext, string, int, PassSize, PerturbedBatch, out long[])"/>, with the outputs
    /// computed by <paramref name="forward"/> (e.g. incrementally) instead of the model's forward pass when given.
    /// </summary>
    public static Tensor Evaluate(AttributionContext ctx, string method, int total, PassSize perPass, PerturbedBatch build,
        PerturbedForward? forward, out long[] outputShape) =>
        Evaluate(ctx, method, total, perPass, build, forward, null, out outputShape);

    /// <summary>
    /// As <see cref="Evaluate(AttributionContext, string, int, PassSize, PerturbedBatch, PerturbedForward?, out long[])"/>,
    /// also handing each pass's selected outputs to <paramref name="consume"/> inside the pass.
    /// </summary>
    public static Tensor Evaluate(AttributionContext ctx, string method, int total, PassSize perPass, PerturbedBatch build,
        PerturbedForward? forward, PassOutputs? consume, out long[] outputShape)
    {
        if (total < 1) throw new ArgumentOutOfRangeException(nameof(total), total, "At least one perturbation is needed.");
        int size = perPass.Count;
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(perPass), size, "At least one perturbation per pass is needed.");
        long batch = ctx.BatchSize;
        int passes = Passes(total, size);
        // A planned size on a CPU is checked against the model's largest layer during the first pass.
        var measured = perPass.Automatic && size > 1 && passes > 2 && forward is null ? LayerFootprint.ToMeasure(ctx) : null;
        Tensor? results = null;
        long[] shape = [];
        int done = 0;
        for (int start = 0; start < total;)
        {
            ctx.ThrowIfCancelled();
            int k = Math.Min(size, total - start);
            using (var scope = NewDisposeScope())
            {
                var inputs = build(start, k);
                Tensor selected;
                using (no_grad())
                {
                    Tensor output;
                    if (measured is not null)
                    {
                        (output, long largest) = LayerFootprint.Run(measured, () => ctx.Forward.Invoke(inputs, ctx.AdditionalArgs, batch, k));
                        measured = null;
                        int fitting = LayerFootprint.Fitting(largest, k, size);
                        if (fitting < size)
                        {
                            size = fitting;
                            passes = done + 1 + Passes(total - start - k, size);
                        }
                    }
                    else
                    {
                        output = forward is null ? ctx.Forward.Invoke(inputs, ctx.AdditionalArgs, batch, k) : forward(start, k, inputs);
                    }
                    selected = TargetSelector.Select(output, ctx.Target.Expand(k, interleave: false));
                    shape = output.shape[1..];
                }
                if (selected.shape[0] != k * batch)
                    throw new ArgumentException(
                        $"{ctx.Forward.Description} returned {selected.shape[0]} output rows for a batch of {k * batch} " +
                        $"({k} perturbed copies of {batch} examples): perturbation methods need one output row per example. " +
                        "For a model that aggregates its batch, set PerturbationsPerPass(1).", "model");
                if (!selected.is_floating_point()) selected = selected.to(ScalarType.Float32);
                if (results is null)
                    results = empty([total, batch], dtype: selected.dtype, device: selected.device).MoveToOuterDisposeScope();
                var rows = selected.reshape(k, batch);
                results.narrow(0, start, k).copy_(rows);
                consume?.Invoke(start, k, rows);
            }
            ctx.Report(method, ++done, passes);
            start += k;
        }
        outputShape = shape;
        return results!;
    }

    /// <summary>
    /// <paramref name="k"/> copies of <paramref name="input"/> (B, ...) with the elements where
    /// <paramref name="mask"/> is true taken from <paramref name="replacement"/>, stacked to (k·B, ...).
    /// <paramref name="mask"/> has shape (k, ...) and, like <paramref name="replacement"/>, broadcasts to (k, B, ...);
    /// a null mask gives unchanged copies.
    /// </summary>
    public static Tensor Replace(Tensor input, Tensor? replacement, Tensor? mask, int k)
    {
        long[] rest = input.shape[1..];
        long[] stacked = [k * input.shape[0], .. rest];
        if (mask is null || replacement is null)
            return input.unsqueeze(0).expand([k, .. input.shape]).reshape(stacked);
        var mixed = where(mask, replacement, input.unsqueeze(0));
        if (mixed.shape[0] != k || mixed.shape[1] != input.shape[0])
            mixed = mixed.expand([k, .. input.shape]);
        return mixed.reshape(stacked);
    }
}
