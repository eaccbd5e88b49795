using FluentAttrib.Core;
using FluentAttrib.Core.Cam;
using FluentAttrib.Core.Layers;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Ablation-CAM (Desai and Ramaswamy, 2020) as pytorch-grad-cam computes it: each channel of the layer is ablated in
/// turn (the layer's output replaced, the rest of the network run on it) and its weight is the relative drop of the
/// target's score, (s − s_c) / s. No gradients: one forward pass plus one per ablated channel and example, in chunks of
/// <see cref="MethodSettingExtensions.PerturbationsPerPass{TMethod}"/> copies (pytorch-grad-cam's <c>batch_size</c>,
/// default <see cref="Defaults.AblationCamPerturbationsPerPass"/>), each chunk one pass when the setting is given, or
/// passes planned from the memory budget (at most 16 copies) when it is not.
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

    internal override Tensor? ChannelWeights(CamLayer layer)
    {
        var run = layer.Run;
        var a = layer.A;
        var native = layer.Pass.NativeActivations[layer.Index];
        var reshape = layer.Layer.Handle.Reshape;
        long batch = a.shape[0];
        int channels = (int)a.shape[1];
        int chunk = Values.PerturbationsPerPass ?? Defaults.AblationCamPerturbationsPerPass;
        int physical = Values.PerturbationsPerPass ?? Math.Min(chunk, BatchPlanner.ExamplesPerPass(run, [layer.Input.narrow(0, 0, 1)], withGradients: false));
        bool quirks = Values.GradCamQuirks;
        using var _ = no_grad();
        var original = TargetSelector.Select(layer.Pass.Output, layer.Target).to(ScalarType.Float32).cpu().data<float>().ToArray();
        var weights = new float[batch * channels];
        var lists = new int[batch][];
        for (int b = 0; b < batch; b++) lists[b] = ChannelsToAblate(a[b], Values.ChannelRatio);
        int total = lists.Sum(l => (l.Length + chunk - 1) / chunk), done = 0;
        for (int b = 0; b < batch; b++)
        {
            var list = lists[b];
            var scores = new float[list.Length];
            var ctxB = run.With([layer.Input.narrow(0, b, 1)], CamEngine.ForCopies(layer.Target, b, 1),
                ExampleSlicing.AdditionalOf(run.AdditionalArgs, run.BatchSize, b));
            double min0 = a[b].min().to(ScalarType.Float64).item<double>();
            for (int start = 0; start < list.Length; start += chunk)
            {
                run.ThrowIfCancelled();
                using var scope = NewDisposeScope();
                int n = Math.Min(chunk, list.Length - start);
                var copies = a[b].unsqueeze(0).repeat([n, .. Enumerable.Repeat(1L, (int)a.dim() - 1)]);
                double m = min0;
                for (int k = 0; k < n; k++)
                {
                    // pytorch-grad-cam reads the minimum of the whole chunk before each row, rows already ablated included.
                    double value = !quirks || m == 0 ? 0 : m - 1e7;
                    copies[k][list[start + k]].fill_(value);
                    m = Math.Min(m, value);
                }
                var injected = reshape is null ? copies : reshape.Invert(copies, native.narrow(0, b, 1).expand([n, .. native.shape.AsSpan(1)]), layer.Layer.Handle);
                // The chunk fixes the ablation values; the passes that evaluate it hold at most `physical` copies.
                for (int p0 = 0; p0 < n; p0 += physical)
                {
                    int count = Math.Min(physical, n - p0);
                    var rows = layer.Input.narrow(0, b, 1).expand([count, .. layer.Input.shape.AsSpan(1)]).contiguous();
                    var output = LayerProbe.Inject(ctxB, [rows], [layer.Layer], false, [injected.narrow(0, p0, count)], expansion: count);
                    var s = TargetSelector.Select(output, CamEngine.ForCopies(layer.Target, b, count)).to(ScalarType.Float32).cpu().data<float>().ToArray();
                    Array.Copy(s, 0, scores, start + p0, count);
                    run.ThrowIfCancelled();
                }
                run.Report(Name, ++done, total);
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
