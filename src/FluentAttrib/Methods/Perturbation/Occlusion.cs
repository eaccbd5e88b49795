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
public sealed record Occlusion : AttributionMethod,
    IBaselineSetting, IPerturbationsPerPassSetting, IIncrementalSetting
{
    private Occlusion(SettingValues values) : base(values) { }

    /// <summary>No window yet: the starting point of <see cref="Window(long[])"/> and <see cref="Windows(long[][])"/>.</summary>
    private static Occlusion Empty { get; } = new(new SettingValues());

    /// <summary>
    /// Occlusion of a single input with a window of extent <paramref name="window"/> (one entry per non-batch
    /// dimension, e.g. <c>Window(3, 15, 15)</c> for (B, 3, H, W) images), stride 1, baseline 0.
    /// </summary>
    /// <exception cref="ArgumentException">The window has no dimension.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An extent is less than 1.</exception>
    public static Occlusion Window(params long[] window) => Empty.Window(window);

    /// <summary>Occlusion of a multi-input model: one window shape per input, in input order.</summary>
    /// <exception cref="ArgumentException">No window given, or a window has no dimension.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An extent is less than 1.</exception>
    public static Occlusion Windows(params long[][] windows) => Empty.Windows(windows);

    /// <summary>The method's settings, read back by name (<c>Settings.Windows</c>).</summary>
    public MethodSettings<Occlusion> Settings => new(Values);

    /// <summary>Least saving of convolution work for which the incremental path is taken (tests set 0 to force it).</summary>
    internal double MinimumIncrementalGain { get; init; } = IncrementalEvaluator.MinimumGain;

    /// <summary>The window of a single input: checked, and the strides kept where they still fit.</summary>
    internal Occlusion WithWindows(ValueList<ValueList<long>> windows, string paramName)
    {
        var strides = Values.Strides;
        if (strides.Length == 1)
            for (int i = 0; i < windows.Length; i++)
                CheckStrideRank(strides[0], windows[i], paramName, i);
        else if (strides.Length != windows.Length)
            throw new ArgumentException($"{windows.Length} window shapes were given but {strides.Length} strides are set; set the windows first.", paramName);
        else
            for (int i = 0; i < windows.Length; i++)
                CheckStrideRank(strides[i], windows[i], paramName, i);
        return this with { Values = Values with { Windows = windows } };
    }

    /// <summary>
    /// Moves the window by <paramref name="stride"/> elements: one value for every dimension or one per dimension,
    /// applied to every input. A stride may not exceed the window where the window is smaller than the input.
    /// The default is 1 in every dimension.
    /// </summary>
    /// <exception cref="ArgumentException">No value, or neither 1 nor one per window dimension.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value is less than 1.</exception>
    public Occlusion Stride(params long[] stride)
    {
        var s = WindowShapes.Check(stride, nameof(stride), "stride");
        for (int i = 0; i < Values.Windows.Length; i++)
            CheckStrideRank(s, Values.Windows[i], nameof(stride), i);
        return this with { Values = Values with { Strides = [s] } };
    }

    /// <summary>One stride per input (each a single value or one per dimension of that input's window).</summary>
    /// <exception cref="ArgumentException">Not one stride per window, or a stride of the wrong length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value is less than 1.</exception>
    public Occlusion Strides(params long[][] strides)
    {
        ArgumentNullException.ThrowIfNull(strides);
        var windows = Values.Windows;
        if (strides.Length != windows.Length)
            throw new ArgumentException($"{strides.Length} strides were given for {windows.Length} window shapes; give one per input.", nameof(strides));
        var list = ImmutableArray.CreateBuilder<ValueList<long>>(strides.Length);
        for (int i = 0; i < strides.Length; i++)
        {
            if (strides[i] is null) throw new ArgumentNullException(nameof(strides), $"Stride {i} is null.");
            var s = WindowShapes.Check(strides[i], nameof(strides), $"stride {i}");
            CheckStrideRank(s, windows[i], nameof(strides), i);
            list.Add(s);
        }
        return this with { Values = Values with { Strides = list.MoveToImmutable() } };
    }


    /// <inheritdoc />
    public override string Describe() =>
        $"Occlusion(window {string.Join(" ", Values.Windows.Select(WindowShapes.Format))}, stride {string.Join(" ", Values.Strides.Select(WindowShapes.Format))}, baselines {Values.Baseline}" +
        (Values.Incremental ? "" : ", not incremental") + ")";

    internal override Attribution Attribute(AttributionContext context)
    {
        var inputs = context.Inputs;
        if (Values.Windows.Length != inputs.Length)
            throw new ArgumentException(
                $"{Values.Windows.Length} window shape(s) were given for {inputs.Length} input(s); use Occlusion.Windows(...) with one shape per input.", "window");
        if (Values.Strides.Length != 1 && Values.Strides.Length != inputs.Length)
            throw new ArgumentException($"{Values.Strides.Length} strides were given for {inputs.Length} inputs.", "stride");
        var geometry = new (long[] Shape, long[] Window, long[] Stride)[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
            geometry[i] = Check(i, inputs[i]);

        using var scope = NewDisposeScope();
        var baselines = Values.Baseline.MaterializeAll(inputs, context.Checks);
        var windows = geometry.Select((g, i) => new SlidingWindows(g.Shape, g.Window, g.Stride, inputs[i].device)).ToArray();
        var offsets = new int[inputs.Length]; // first perturbation number of each input's windows
        long total = 1; // perturbation 0 is the unoccluded batch
        for (int i = 0; i < inputs.Length; i++)
        {
            offsets[i] = (int)total;
            total += windows[i].Total;
        }
        if (total > int.MaxValue) throw new ArgumentException($"{total} occlusions are too many; use a larger window or stride.", "window");

        // The inputs of the perturbations numbered by `numbers` (k of them; `onDevice` holds them on the inputs' device),
        // each stacked to (k·B, ...). Nothing is read back from the device.
        Tensor[] Build(long[] numbers, Tensor onDevice)
        {
            int k = numbers.Length;
            var batch = new Tensor[inputs.Length];
            for (int i = 0; i < inputs.Length; i++)
            {
                long first = offsets[i], end = offsets[i] + windows[i].Total;
                if (!numbers.Any(n => n >= first && n < end))
                {
                    batch[i] = PerturbationEngine.Replace(inputs[i], null, null, k);
                    continue;
                }
                var local = onDevice.to(inputs[i].device) - offsets[i];
                var valid = local.ge(0).logical_and(local.lt(windows[i].Total));
                var masks = windows[i].Masks(local.clamp(0, windows[i].Total - 1), valid);
                batch[i] = PerturbationEngine.Replace(inputs[i], baselines[i].unsqueeze(0), masks, k);
            }
            return batch;
        }

        string? note = null; // how the incremental path went, for the attribution's description
        using var incremental = Values.Incremental && inputs.Length == 1 && inputs[0].dim() == 4
            ? IncrementalEvaluator.TryCreate(context, PerturbationRegions.Windows(geometry[0], windows[0]), Values.PerturbationsPerPass, out note, MinimumIncrementalGain)
            : null;
        Tensor outputs;
        if (incremental is not null)
        {
            outputs = incremental.Evaluate(context, Name, (numbers, onDevice) => Build(numbers, onDevice)[0]);
        }
        else
        {
            var perPass = PerturbationEngine.PerturbationsPerPass(context, Values.PerturbationsPerPass);
            outputs = PerturbationEngine.Evaluate(context, Name, (int)total, perPass,
                (start, k) => Build([.. Enumerable.Range(start, k).Select(n => (long)n)], arange(start, start + k, dtype: ScalarType.Int64, device: inputs[0].device)));
        }

        var differences = outputs[0].unsqueeze(0) - outputs;
        var values = new Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            var perWindow = differences.narrow(0, offsets[i], windows[i].Total);
            values[i] = windows[i].AverageOverCover(perWindow).to(outputs.dtype, inputs[i].device).MoveToOuterDisposeScope();
        }
        return new Attribution(values, null, note is null ? Describe() : $"{Describe()} — {note}", context.Target);
    }

    private (long[] Shape, long[] Window, long[] Stride) Check(int i, Tensor input)
    {
        long[] shape = input.shape[1..];
        long[] window = [.. Values.Windows[i]];
        string which = Values.Windows.Length == 1 ? "The window" : $"Window {i}";
        if (window.Length != shape.Length)
            throw new ArgumentException(
                $"{which} {WindowShapes.Format(Values.Windows[i])} has {window.Length} dimension(s) but input {i} of shape {Shapes.Format(input.shape)} has {shape.Length} besides the batch dimension; give one extent per non-batch dimension.",
                "window");
        var strideEntry = Values.Strides.Length == 1 ? Values.Strides[0] : Values.Strides[i];
        long[] stride = strideEntry.Length == 1 ? [.. Enumerable.Repeat(strideEntry[0], shape.Length)] : [.. strideEntry];
        if (stride.Length != shape.Length)
            throw new ArgumentException(
                $"The stride {WindowShapes.Format(strideEntry)} of input {i} has {stride.Length} values but input {i} of shape {Shapes.Format(input.shape)} has {shape.Length} non-batch dimensions.",
                "stride");
        for (int d = 0; d < shape.Length; d++)
        {
            if (window[d] > shape[d])
                throw new ArgumentException(
                    $"{which} {WindowShapes.Format(Values.Windows[i])} exceeds input {i} of shape {Shapes.Format(input.shape)} in dimension {d + 1}.",
                    "window");
            if (window[d] < shape[d] && stride[d] > window[d])
                throw new ArgumentException(
                    $"The stride {WindowShapes.Format(strideEntry)} of input {i} is larger than its window {WindowShapes.Format(Values.Windows[i])} in dimension {d + 1}: elements would be skipped (input shape {Shapes.Format(input.shape)}).",
                    "stride");
        }
        return (shape, window, stride);
    }

    private static void CheckStrideRank(ValueList<long> stride, ValueList<long> window, string paramName, int input)
    {
        if (stride.Length != 1 && stride.Length != window.Length)
            throw new ArgumentException(
                $"The stride {WindowShapes.Format(stride)} has {stride.Length} values but the window {WindowShapes.Format(window)} of input {input} has {window.Length} dimensions; give one value or one per dimension.",
                paramName);
    }
}
