using FluentAttrib.Core;
using FluentAttrib.Core.Cam;
using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Ablation-CAM (Desai and Ramaswamy, 2020) as pytorch-grad-cam computes it: each channel of the layer is ablated in
/// turn (the layer's output replaced, the rest of the network run on it) and its weight is the relative drop of the
/// target's score, (s − s_c) / s. No gradients: one forward pass, then the ablated copies in chunks of
/// <see cref="MethodSettingExtensions.PerturbationsPerPass{TMethod}"/> copies (pytorch-grad-cam's <c>batch_size</c>,
/// default <see cref="Defaults.AblationCamPerturbationsPerPass"/>), each chunk one pass when the setting is given, or
/// passes planned from the memory budget when it is not. A pass starts at the layer: the modules before it run once
/// on the example and only those after it on the copies (pytorch-grad-cam reruns the whole network per copy); a model
/// that does not take that (a module after the layer concatenates a tensor from before it) gets whole-network passes
/// with the same result.
/// <para><b>pytorch-grad-cam's quirks, reproduced by default:</b> when the layer's minimum m is not exactly 0, the
/// k-th copy of a chunk gets m − k·1e7 instead of a fixed value (so the weights depend on the chunk size), and the
/// division by s flips the map when s is negative. <c>GradCamQuirks(false)</c> ablates to 0 and divides by |s|.
/// Scores and weights are rounded to float32, as there.</para>
/// </summary>
public sealed record AblationCam : CamMethod, IPerturbationsPerPassSetting
{
    private AblationCam() { }

    /// <summary>The method with pytorch-grad-cam's defaults (all channels, 32 copies per chunk).</summary>
    public static AblationCam Default { get; } = new();

    /// <summary>The method's settings, read back by name (<c>Settings.ChannelRatio</c>, <c>Settings.PerturbationsPerPass</c>, ...).</summary>
    public MethodSettings<AblationCam> Settings => new(Values);

    /// <inheritdoc />
    public override string Name => "AblationCAM";

    /// <summary>
    /// Ablates only some channels (pytorch-grad-cam's experimental <c>ratio_channels_to_ablate</c>): channels are scored
    /// by how much of their mass lies where the layer's first principal component is above 1% of its range; the
    /// k = ⌊C·ratio⌋ highest and the k lowest are ablated, the others get weight 0. 1 (the default) ablates all.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not in (0, 1].</exception>
    public AblationCam ChannelRatio(double ratio)
    {
        if (!(ratio > 0 && ratio <= 1)) throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "The share of channels to ablate must be in (0, 1].");
        return this with { Values = Values with { ChannelRatio = ratio } };
    }

    private protected override IEnumerable<string> DescribeOwn() =>
        Values.ChannelRatio == 1.0 ? [] : [$"ratio {Values.ChannelRatio}"];

    internal override CamNeeds Needs => new(Gradients: false);

    /// <summary>
    /// Whether the ablated copies start at the layer where the model allows it: the modules before the layer run once
    /// per pass on the example and only those after it on the copies (the copies replace the layer's value in its
    /// hook). False reruns the whole network on copies of the input for every pass, as pytorch-grad-cam does. Both give
    /// the same scores; the passes that start at the layer fall back to whole-network passes when the model does not
    /// take them (a module after the layer concatenates a tensor from before it, the output has the wrong rows, ...).
    /// </summary>
    internal bool StartAtLayer { get; init; } = true;

    internal override Tensor? ChannelWeights(CamLayer layer)
    {
        var run = layer.Run;
        var a = layer.A;
        var native = layer.Pass.NativeActivations[layer.Index];
        var reshape = layer.Layer.Handle.Reshape;
        long batch = a.shape[0];
        int channels = (int)a.shape[1];
        int chunk = Values.PerturbationsPerPass ?? Defaults.AblationCamPerturbationsPerPass;
        // Copies per pass: a chunk (pytorch-grad-cam's batch_size) when PerturbationsPerPass is given; otherwise planned
        // from the memory budget, for whole-network passes by the input (at most a chunk), for passes that start at the
        // layer by the layer's value. The chunk alone fixes the ablation values, so passes may span chunks.
        int fullRows = Values.PerturbationsPerPass ?? Math.Min(chunk, BatchPlanner.ExamplesPerPass(run, [layer.Input.narrow(0, 0, 1)], withGradients: false));
        int layerRows = Values.PerturbationsPerPass ?? LayerRowsPerPass(run, layer.Input.narrow(0, 0, 1), native.narrow(0, 0, 1));
        bool quirks = Values.GradCamQuirks;
        bool fromLayer = StartAtLayer;
        using var _ = no_grad();
        var original = TargetSelector.Select(layer.Pass.Output, layer.Target).to(ScalarType.Float32).cpu().data<float>().ToArray();
        var weights = new float[batch * channels];
        var lists = new int[batch][];
        for (int b = 0; b < batch; b++) lists[b] = ChannelsToAblate(a[b], Values.ChannelRatio);
        int total = lists.Sum(l => l.Length), done = 0;
        for (int b = 0; b < batch; b++)
        {
            var list = lists[b];
            var scores = new float[list.Length];
            var input = layer.Input.narrow(0, b, 1);
            var ctxB = run.With([input], CamEngine.ForCopies(layer.Target, b, 1),
                ExampleSlicing.AdditionalOf(run.AdditionalArgs, run.BatchSize, b));
            var values = AblationValues(a[b], chunk, quirks);
            using var listScope = NewDisposeScope();
            var listChannels = tensor(list.Select(c => (long)c).ToArray(), ScalarType.Int64, a.device);
            var listValues = tensor(Enumerable.Range(0, list.Length).Select(i => values[i % chunk]).ToArray(), ScalarType.Float64, a.device).to(a.dtype);
            for (int start = 0; start < list.Length;)
            {
                run.ThrowIfCancelled();
                using var scope = NewDisposeScope();
                int count = Math.Min(fromLayer ? layerRows : fullRows, list.Length - start);
                var copies = Ablated(a[b], channels, listChannels.narrow(0, start, count), listValues.narrow(0, start, count));
                var injected = reshape is null ? copies : reshape.Invert(copies, native.narrow(0, b, 1).expand([count, .. native.shape.AsSpan(1)]), layer.Layer.Handle);
                Tensor? output = null;
                if (fromLayer)
                {
                    try
                    {
                        output = LayerProbe.InjectRows(ctxB, [input], layer.Layer, layer.ToInput, injected);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        // The model does not take a batch of copies at the layer: whole-network passes from here on.
                        fromLayer = false;
                        continue;
                    }
                }
                if (output is null)
                {
                    var rows = input.expand([count, .. input.shape.AsSpan(1)]).contiguous();
                    output = LayerProbe.Inject(ctxB, [rows], [layer.Layer], layer.ToInput, [injected], expansion: count);
                }
                var s = TargetSelector.Select(output, CamEngine.ForCopies(layer.Target, b, count)).to(ScalarType.Float32).cpu().data<float>().ToArray();
                Array.Copy(s, 0, scores, start, count);
                start += count;
                done += count;
                run.Report(Name, done, total);
            }
            // pytorch-grad-cam's assemble_ablation_scores: walk the channels against the sorted list; channels not on it
            // keep the original score (weight 0).
            var order = Enumerable.Range(0, list.Length).OrderBy(i => list[i]).ToArray();
            int index = 0;
            float s0 = original[b];
            for (int c = 0; c < channels; c++)
            {
                float score = s0;
                if (index < order.Length && list[order[index]] == c) score = scores[order[index++]];
                weights[b * channels + c] = quirks ? (s0 - score) / s0 : (s0 - score) / Math.Abs(s0);
            }
        }
        return tensor(weights, [batch, channels], ScalarType.Float32, a.device).to(a.dtype);
    }

    /// <summary>
    /// The value that copy k of a chunk gives its ablated channel. pytorch-grad-cam reads the minimum m of the whole
    /// chunk (rows already ablated included) before each row and writes m − 1e7 in the layer's dtype (0 when m is 0), so
    /// copy k gets min − (k+1)·1e7 unless the layer's minimum is exactly 0; without the quirks every value is 0.
    /// </summary>
    private static double[] AblationValues(Tensor example, int chunk, bool quirks)
    {
        var values = new double[chunk];
        if (!quirks) return values;
        double m = example.min().to(ScalarType.Float64).item<double>();
        for (int k = 0; k < chunk; k++)
        {
            double value = m == 0 ? 0 : InDtype(m - 1e7, example.dtype);
            values[k] = value;
            m = Math.Min(m, value);
        }
        return values;
    }

    /// <summary>A double rounded to what a tensor of <paramref name="dtype"/> stores.</summary>
    private static double InDtype(double value, ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 => value,
        ScalarType.Float32 => (float)value,
        _ => tensor(value, ScalarType.Float64).to(dtype).to(ScalarType.Float64).item<double>(),
    };

    /// <summary>n copies (n, C, *S) of one example's values (C, *S), copy i with channel <paramref name="ablate"/>[i] set to <paramref name="values"/>[i].</summary>
    private static Tensor Ablated(Tensor example, int channels, Tensor ablate, Tensor values)
    {
        long n = ablate.shape[0];
        var ones = Enumerable.Repeat(1L, (int)example.dim() - 1).ToArray();
        var hit = nn.functional.one_hot(ablate, channels).to(ScalarType.Bool).reshape([n, channels, .. ones]);
        return where(hit, values.reshape([n, 1, .. ones]), example.unsqueeze(0));
    }

    /// <summary>
    /// Copies per pass that starts at the layer: as much data as an automatic batch of inputs
    /// (<see cref="BatchPlanner.MaxAutomaticExamples"/> examples), within the memory budget.
    /// </summary>
    private static int LayerRowsPerPass(AttributionContext run, Tensor exampleInput, Tensor exampleValue)
    {
        long inputBytes = Math.Max(1, exampleInput.numel() * exampleInput.element_size());
        long valueBytes = Math.Max(1, exampleValue.numel() * exampleValue.element_size());
        long byData = Math.Max(1, BatchPlanner.MaxAutomaticExamples * inputBytes / valueBytes);
        return (int)Math.Min(byData, BatchPlanner.ExamplesWithinBudget(run, [exampleValue], withGradients: false));
    }

    /// <summary>pytorch-grad-cam's list of channels to ablate for one example's activations (C, *S).</summary>
    private static int[] ChannelsToAblate(Tensor a, double ratio)
    {
        int channels = (int)a.shape[0];
        if (ratio == 1.0) return Enumerable.Range(0, channels).ToArray();
        var p = CamMath.Project(a.unsqueeze(0), fixSign: false)[0].abs();
        p = p - p.min();
        p = p / p.max();
        var mask = (p > 0.01).to(a.dtype);
        var dims = Enumerable.Range(1, (int)a.dim() - 1).Select(d => (long)d).ToArray();
        var norm = a.abs();
        norm = norm - norm.amin(dims, keepdim: true);
        norm = norm / norm.amax(dims, keepdim: true);
        var scores = ((mask.unsqueeze(0) * norm).sum(dims) / norm.sum(dims)).to(ScalarType.Float32).cpu().data<float>().ToArray();
        var ascending = Enumerable.Range(0, channels).OrderBy(c => scores[c]).ToArray();
        int k = (int)(channels * ratio);
        return [.. ascending.Reverse().Take(k), .. ascending.Take(k)];
    }
}
