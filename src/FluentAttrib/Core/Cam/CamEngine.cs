using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Core.Cam;

/// <summary>The result of one CAM pass: the map at input resolution (B, *S) and what <see cref="CamOutput"/> may ask for.</summary>
internal sealed record CamResult(Tensor Map, Tensor[] Raw, Tensor[]? Weights);

/// <summary>The steps every class activation map shares around its per-layer map: input checks, targets, aug_smooth, aggregation.</summary>
internal static class CamEngine
{
    /// <summary>The single image input (B, C, *S) of a CAM run, with one to three spatial dimensions.</summary>
    public static Tensor ImageInput(AttributionContext ctx, string method)
    {
        if (ctx.Inputs.Length != 1)
            throw new ArgumentException($"{method} explains one image input; {ctx.Inputs.Length} were given (pass other tensors with WithAdditionalArguments).", "inputs");
        var x = ctx.Inputs[0];
        if (x.dim() < 3 || x.dim() > 5)
            throw new ArgumentException(
                $"{method} needs an input of shape (B, C, W), (B, C, H, W) or (B, C, D, H, W); got {Shapes.Format(x.shape)}.", "inputs");
        if (!x.is_floating_point())
            throw new ArgumentException($"{method} needs a floating-point input, not {x.dtype}.", "inputs");
        return x;
    }

    /// <summary>
    /// pytorch-grad-cam's target when none is given: each example's highest-scoring output (argmax over the last axis
    /// of a (B, K) output), taken from the output of the pass being explained. A model with one scalar per example
    /// keeps <see cref="Target.None"/>.
    /// </summary>
    public static Target Resolve(Target given, Tensor output, string method)
    {
        if (!given.IsNone) return given;
        if (output.dim() == 1 || (output.dim() == 2 && output.shape[1] == 1)) return given;
        if (output.dim() != 2)
            throw new ArgumentException(
                $"Without a target, {method} explains each example's top class of a (B, classes) output, but the model returned {Shapes.Format(output.shape)}: give a target with For(...) (e.g. Target.Segmentation).",
                "target");
        var top = output.argmax(1).cpu().data<long>().ToArray();
        return Target.PerExample(top);
    }

    /// <summary>
    /// Runs <paramref name="pass"/> once, or, with aug_smooth, on six augmented copies (no flip / flip along the last
    /// axis × factors 0.9, 1, 1.1), flipping each map back and averaging (no rescale). Raw maps and weights come from the
    /// un-augmented copy.
    /// </summary>
    public static CamResult Run(AttributionContext ctx, Tensor x, bool augSmooth, Func<Tensor, CamResult> pass)
    {
        if (!augSmooth) return pass(x);
        Tensor? sum = null;
        CamResult? plain = null;
        foreach (bool flip in new[] { false, true })
            foreach (double factor in new[] { 0.9, 1.0, 1.1 })
            {
                ctx.ThrowIfCancelled();
                var xa = factor == 1.0 ? x : x * factor;
                if (flip) xa = xa.flip(-1);
                var r = pass(xa);
                var map = flip ? r.Map.flip(-1) : r.Map;
                sum = sum is null ? map : sum + map;
                if (!flip && factor == 1.0) plain = r;
            }
        return plain! with { Map = sum! / 6.0 };
    }

    /// <summary>
    /// pytorch-grad-cam's aggregation: each layer's map through a ReLU, scaled per example and resized to
    /// <paramref name="size"/>, through a ReLU again (a no-op after the bilinear resize of images; the cubic spline of
    /// volumes can undershoot 0); the mean over layers scaled again.
    /// </summary>
    public static Tensor Aggregate(IReadOnlyList<Tensor> raw, long[] size, bool quirks = true)
    {
        var scaled = raw.Select(r => nn.functional.relu(CamMath.ScaleAndResize(nn.functional.relu(r), size, quirks))).ToArray();
        var mean = scaled.Length == 1 ? scaled[0] : stack(scaled, 1).mean([1L]);
        return CamMath.Scale(mean);
    }

    /// <summary>The attribution for the run's <see cref="CamOutput"/>.</summary>
    public static Tensor[] Select(CamResult r, CamOutput output) => output switch
    {
        CamOutput.Raw => r.Raw,
        CamOutput.Weights => r.Weights ?? throw new InvalidOperationException("internal: no channel weights."),
        _ => [r.Map],
    };

    /// <summary>
    /// The target of example <paramref name="example"/> for <paramref name="rows"/> rows that are all copies of it
    /// (ScoreCAM's masked inputs, AblationCAM's ablated copies).
    /// </summary>
    public static Target ForCopies(Target target, int example, int rows) => target.ForExample(example).Expand(rows, interleave: false);

    /// <summary>
    /// Runs the model on <paramref name="rows"/> (copies of example <paramref name="example"/>, perturbed) and returns
    /// target_example of each row, (n).
    /// </summary>
    public static Tensor ScoreCopies(AttributionContext ctx, Tensor rows, Target target, int example)
    {
        int n = (int)rows.shape[0];
        var additional = ExampleSlicing.AdditionalOf(ctx.AdditionalArgs, ctx.BatchSize, example);
        var output = ctx.Forward.Invoke([rows], additional, 1, n);
        return TargetSelector.Select(output, ForCopies(target, example, n));
    }
}
