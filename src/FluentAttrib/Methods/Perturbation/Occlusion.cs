using System.Collections.Immutable;
using FluentAttrib.Core;
using FluentAttrib.Core.Incremental;
using FluentAttrib.Core.Perturbation;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Occlusion (Zeiler and Fergus, 2014): slides a window over each example, replaces the window by the baseline and
/// attributes F(input) − F(occluded input) to the elements it covers, averaged over all windows that cover an
/// element. Equal to Captum's <c>Occlusion</c>: per dimension ⌈(D − W)/S⌉ + 1 window positions, the last one
/// clipped at the edge.
/// Create one with <see cref="Window(long[])"/> (one input) or <see cref="Windows(long[][])"/> (one per input).
/// </summary>
public sealed record Occlusion : AttributionMethod
{
    private Occlusion(ImmutableArray<ValueList<long>> windows) => WindowShapes = windows;

    /// <summary>
    /// Occlusion of a single input with a window of extent <paramref name="window"/> (one entry per non-batch
    /// dimension, e.g. <c>Window(3, 15, 15)</c> for (B, 3, H, W) images), stride 1, baseline 0.
    /// </summary>
    /// <exception cref="ArgumentException">The window has no dimension.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An extent is less than 1.</exception>
    public static Occlusion Window(params long[] window)
    {
        ArgumentNullException.ThrowIfNull(window);
        return new([CheckShape(window, nameof(window), "window")]);
    }

    /// <summary>Occlusion of a multi-input model: one window shape per input, in input order.</summary>
    /// <exception cref="ArgumentException">No window given, or a window has no dimension.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An extent is less than 1.</exception>
    public static Occlusion Windows(params long[][] windows)
    {
        ArgumentNullException.ThrowIfNull(windows);
        if (windows.Length == 0) throw new ArgumentException("Give one window shape per input.", nameof(windows));
        var list = ImmutableArray.CreateBuilder<ValueList<long>>(windows.Length);
        for (int i = 0; i < windows.Length; i++)
        {
            if (windows[i] is null) throw new ArgumentNullException(nameof(windows), $"Window {i} is null.");
            list.Add(CheckShape(windows[i], nameof(windows), $"window {i}"));
        }
        return new(list.MoveToImmutable());
    }

    /// <summary>The window shape of each input (a single entry for a single-input model).</summary>
    public ValueList<ValueList<long>> WindowShapes { get; }

    /// <summary>
    /// The strides: one entry shared by every input, or one per input; an entry of length 1 applies to every
    /// dimension. <value>The default value is 1 in every dimension.</value>
    /// </summary>
    public ValueList<ValueList<long>> StrideShapes { get; private init; } = [[1L]];

    /// <summary>What an occluded window is replaced with. <value>The default value is zero.</value></summary>
    public Baselines Baselines { get; private init; } = Baselines.Zero;

    /// <summary>
    /// Occluded copies of the batch evaluated per forward pass, or null to choose from the memory budget.
    /// <value>The default value is null.</value>
    /// </summary>
    public int? PerturbationsPerPass { get; private init; }

    /// <summary>
    /// Whether the occluded copies may be evaluated incrementally: for a convolutional model that the analysis
    /// understands (see <see cref="Incremental"/>), only the region each window can influence is recomputed.
    /// <value>The default value is true.</value>
    /// </summary>
    public bool IsIncremental { get; private init; } = true;

    /// <summary>
    /// The projective-field cap of the approximate incremental mode (a fraction of each feature map's side), or null
    /// for exact evaluation. <value>The default value is null.</value>
    /// </summary>
    public double? ProjectiveFieldCap { get; private init; }

    /// <summary>Least saving of convolution work for which the incremental path is taken (tests set 0 to force it).</summary>
    internal double MinimumIncrementalGain { get; init; } = IncrementalEvaluator.MinimumGain;

    /// <summary>
    /// Turns incremental evaluation on (the default) or off. When on and the model is a convolutional network the
    /// analysis understands (<see cref="FluentAttrib.Models.ExplainableResNet"/>, <see cref="FluentAttrib.Models.ExplainableVgg"/>,
    /// or a <c>Sequential</c> of Conv2d, BatchNorm2d in eval mode, pointwise activations, MaxPool2d/AvgPool2d, then
    /// anything), the unoccluded image is run once with every activation kept and each window recomputes, layer by
    /// layer, only the region it can influence (Krypton's incremental inference); layers from the first one it does not
    /// understand on (global pooling, linear, unknown modules) run on the full activation. Results equal plain
    /// occlusion up to floating-point rounding. It is used only where it saves work (single 4-D input, no additional
    /// arguments, model in eval mode, at least 1.25× fewer convolution multiply-adds); otherwise plain batched
    /// evaluation runs.
    /// </summary>
    public Occlusion Incremental(bool enabled = true) => this with { IsIncremental = enabled, ProjectiveFieldCap = enabled ? ProjectiveFieldCap : null };

    /// <summary>
    /// Approximate incremental evaluation (Krypton's projective-field threshold): in every layer the recomputed
    /// region is cut to at most <paramref name="fraction"/> of the feature map's side around its centre, and changes
    /// outside it are ignored. Faster for deep networks whose fields fill the late layers, at a cost in accuracy;
    /// the attribution's <see cref="Attribution.Delta"/> then reports, per example, the largest absolute difference
    /// between the approximate and the exact output change over a sample of windows evaluated both ways.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fraction"/> is not in (0, 1].</exception>
    public Occlusion ApproximateProjectiveField(double fraction)
    {
        if (!(fraction > 0 && fraction <= 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The projective-field cap is a fraction in (0, 1].");
        return this with { IsIncremental = true, ProjectiveFieldCap = fraction };
    }

    /// <summary>
    /// Moves the window by <paramref name="stride"/> elements: one value for every dimension or one per dimension,
    /// applied to every input. A stride may not exceed the window where the window is smaller than the input.
    /// </summary>
    /// <exception cref="ArgumentException">No value, or neither 1 nor one per window dimension.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value is less than 1.</exception>
    public Occlusion Stride(params long[] stride)
    {
        ArgumentNullException.ThrowIfNull(stride);
        var s = CheckShape(stride, nameof(stride), "stride");
        for (int i = 0; i < WindowShapes.Length; i++)
            CheckStrideRank(s, WindowShapes[i], nameof(stride), i);
        return this with { StrideShapes = [s] };
    }

    /// <summary>One stride per input (each a single value or one per dimension of that input's window).</summary>
    /// <exception cref="ArgumentException">Not one stride per window, or a stride of the wrong length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value is less than 1.</exception>
    public Occlusion Strides(params long[][] strides)
    {
        ArgumentNullException.ThrowIfNull(strides);
        if (strides.Length != WindowShapes.Length)
            throw new ArgumentException($"{strides.Length} strides were given for {WindowShapes.Length} window shapes; give one per input.", nameof(strides));
        var list = ImmutableArray.CreateBuilder<ValueList<long>>(strides.Length);
        for (int i = 0; i < strides.Length; i++)
        {
            if (strides[i] is null) throw new ArgumentNullException(nameof(strides), $"Stride {i} is null.");
            var s = CheckShape(strides[i], nameof(strides), $"stride {i}");
            CheckStrideRank(s, WindowShapes[i], nameof(strides), i);
            list.Add(s);
        }
        return this with { StrideShapes = list.MoveToImmutable() };
    }

    /// <summary>Replaces occluded windows with <paramref name="baselines"/> (scalar, broadcastable tensor, or one per input).</summary>
    public Occlusion Baseline(Baselines baselines)
    {
        ArgumentNullException.ThrowIfNull(baselines);
        return this with { Baselines = baselines };
    }

    /// <summary>
    /// Evaluates <paramref name="perturbations"/> occluded copies of the batch per forward pass (Captum's
    /// <c>perturbations_per_eval</c>); the model must then return one row per example.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="perturbations"/> is less than 1.</exception>
    public Occlusion PerturbationsPerEval(int perturbations)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perturbations, 1);
        return this with { PerturbationsPerPass = perturbations };
    }

    /// <inheritdoc />
    public override string Name => nameof(Occlusion);

    /// <inheritdoc />
    public override string Describe() =>
        $"Occlusion(window {string.Join(" ", WindowShapes.Select(Format))}, stride {string.Join(" ", StrideShapes.Select(Format))}, baselines {Baselines}" +
        (ProjectiveFieldCap is { } cap ? $", approximate incremental (projective field ≤ {cap:G3})" : IsIncremental ? "" : ", not incremental") + ")";

    internal override Attribution Attribute(AttributionContext context)
    {
        var inputs = context.Inputs;
        if (WindowShapes.Length != inputs.Length)
            throw new ArgumentException(
                $"{WindowShapes.Length} window shape(s) were given for {inputs.Length} input(s); use Occlusion.Windows(...) with one shape per input.", "window");
        if (StrideShapes.Length != 1 && StrideShapes.Length != inputs.Length)
            throw new ArgumentException($"{StrideShapes.Length} strides were given for {inputs.Length} inputs.", "stride");
        var geometry = new (long[] Shape, long[] Window, long[] Stride)[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
            geometry[i] = Check(i, inputs[i]);

        using var scope = NewDisposeScope();
        var baselines = Baselines.MaterializeAll(inputs);
        var windows = geometry.Select((g, i) => new SlidingWindows(g.Shape, g.Window, g.Stride, inputs[i].device)).ToArray();
        var offsets = new int[inputs.Length]; // first perturbation number of each input's windows
        long total = 1; // perturbation 0 is the unoccluded batch
        for (int i = 0; i < inputs.Length; i++)
        {
            offsets[i] = (int)total;
            total += windows[i].Total;
        }
        if (total > int.MaxValue) throw new ArgumentException($"{total} occlusions are too many; use a larger window or stride.", "window");

        // The inputs of the perturbations numbered by `numbers` (k of them), each stacked to (k·B, ...).
        Tensor[] Build(Tensor numbers)
        {
            int k = (int)numbers.shape[0];
            var batch = new Tensor[inputs.Length];
            for (int i = 0; i < inputs.Length; i++)
            {
                var local = numbers.to(inputs[i].device) - offsets[i];
                var valid = local.ge(0).logical_and(local.lt(windows[i].Total));
                if (!valid.any().item<bool>())
                {
                    batch[i] = PerturbationEngine.Replace(inputs[i], null, null, k);
                    continue;
                }
                var masks = windows[i].Masks(local.clamp(0, windows[i].Total - 1), valid);
                batch[i] = PerturbationEngine.Replace(inputs[i], baselines[i].unsqueeze(0), masks, k);
            }
            return batch;
        }

        using var incremental = IsIncremental && inputs.Length == 1 && inputs[0].dim() == 4
            ? IncrementalEvaluator.TryCreate(context, Regions(geometry[0], windows[0]), ProjectiveFieldCap, PerturbationsPerPass, MinimumIncrementalGain)
            : null;
        Tensor outputs;
        Tensor? delta = null;
        if (incremental is not null)
        {
            outputs = incremental.Evaluate(context, Name, numbers => Build(numbers)[0]);
            if (ProjectiveFieldCap is not null)
                delta = incremental.SampledError(context, outputs, numbers => Build(numbers)[0], (int)total).MoveToOuterDisposeScope();
        }
        else
        {
            int perPass = PerturbationEngine.PerturbationsPerPass(context, PerturbationsPerPass);
            outputs = PerturbationEngine.Evaluate(context, Name, (int)total, perPass,
                (start, k) => Build(arange(start, start + k, dtype: ScalarType.Int64, device: inputs[0].device)));
        }

        var differences = outputs[0].unsqueeze(0) - outputs;
        var values = new Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            var perWindow = differences.narrow(0, offsets[i], windows[i].Total);
            values[i] = windows[i].AverageOverCover(perWindow).to(outputs.dtype, inputs[i].device).MoveToOuterDisposeScope();
        }
        return Result(context, values, delta);
    }

    /// <summary>The changed H × W rectangle of every perturbation of a single 4-D input (perturbation 0: none).</summary>
    internal static Region[] Regions((long[] Shape, long[] Window, long[] Stride) g, SlidingWindows windows)
    {
        var regions = new Region[windows.Total + 1];
        regions[0] = Region.Empty;
        long ch = windows.Counts[1], cw = windows.Counts[2];
        for (int i = 0; i < windows.Total; i++)
        {
            long kx = i % cw, ky = i / cw % ch;
            long y0 = ky * g.Stride[1], x0 = kx * g.Stride[2];
            regions[i + 1] = new Region(y0, Math.Min(y0 + g.Window[1], g.Shape[1]), x0, Math.Min(x0 + g.Window[2], g.Shape[2]));
        }
        return regions;
    }

    private (long[] Shape, long[] Window, long[] Stride) Check(int i, Tensor input)
    {
        long[] shape = input.shape[1..];
        long[] window = [.. WindowShapes[i]];
        string which = WindowShapes.Length == 1 ? "The window" : $"Window {i}";
        if (window.Length != shape.Length)
            throw new ArgumentException(
                $"{which} {Format(WindowShapes[i])} has {window.Length} dimension(s) but input {i} of shape {Shapes.Format(input.shape)} has {shape.Length} besides the batch dimension; give one extent per non-batch dimension.",
                "window");
        var strideEntry = StrideShapes.Length == 1 ? StrideShapes[0] : StrideShapes[i];
        long[] stride = strideEntry.Length == 1 ? [.. Enumerable.Repeat(strideEntry[0], shape.Length)] : [.. strideEntry];
        if (stride.Length != shape.Length)
            throw new ArgumentException(
                $"The stride {Format(strideEntry)} of input {i} has {stride.Length} values but input {i} of shape {Shapes.Format(input.shape)} has {shape.Length} non-batch dimensions.",
                "stride");
        for (int d = 0; d < shape.Length; d++)
        {
            if (window[d] > shape[d])
                throw new ArgumentException(
                    $"{which} {Format(WindowShapes[i])} exceeds input {i} of shape {Shapes.Format(input.shape)} in dimension {d + 1}.",
                    "window");
            if (window[d] < shape[d] && stride[d] > window[d])
                throw new ArgumentException(
                    $"The stride {Format(strideEntry)} of input {i} is larger than its window {Format(WindowShapes[i])} in dimension {d + 1}: elements would be skipped (input shape {Shapes.Format(input.shape)}).",
                    "stride");
        }
        return (shape, window, stride);
    }

    private static ValueList<long> CheckShape(long[] values, string paramName, string what)
    {
        if (values.Length == 0) throw new ArgumentException($"The {what} needs at least one dimension.", paramName);
        foreach (long v in values)
            if (v < 1) throw new ArgumentOutOfRangeException(paramName, v, $"Every extent of the {what} must be at least 1; got {Format([.. values])}.");
        return [.. values];
    }

    private static void CheckStrideRank(ValueList<long> stride, ValueList<long> window, string paramName, int input)
    {
        if (stride.Length != 1 && stride.Length != window.Length)
            throw new ArgumentException(
                $"The stride {Format(stride)} has {stride.Length} values but the window {Format(window)} of input {input} has {window.Length} dimensions; give one value or one per dimension.",
                paramName);
    }

    private static string Format(ValueList<long> shape) => "(" + string.Join(", ", shape) + ")";
}
