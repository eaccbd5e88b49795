using FluentAttrib.Core;
using FluentAttrib.Core.Cam;
using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Score-CAM (Wang et al., 2020): each channel, upsampled to the input (bilinear, corners aligned) and min–max
/// normalised, masks the input; the channel's weight is the softmax over channels of the target's score on its masked
/// input. No gradients: one forward pass plus one per channel and example, evaluated
/// <see cref="MethodSettingExtensions.PerturbationsPerPass{TMethod}"/> masked inputs at a time (by default as many as the
/// memory budget allows, at most 16). Scores are rounded to float32 as in pytorch-grad-cam.
/// </summary>
public sealed record ScoreCam : CamMethod, IPerturbationsPerPassSetting
{
    private ScoreCam() { }

    /// <summary>The method with pytorch-grad-cam's defaults.</summary>
    public static ScoreCam Default { get; } = new();

    /// <summary>The method's settings, read back by name (<c>Settings.PerturbationsPerPass</c>, <c>Settings.AugSmooth</c>, ...).</summary>
    public MethodSettings<ScoreCam> Settings => new(Values);

    /// <inheritdoc />
    public override string Name => "ScoreCAM";

    internal override CamNeeds Needs => new(Gradients: false);

    internal override Tensor? ChannelWeights(CamLayer layer)
    {
        var run = layer.Run;
        var x = layer.Input;
        var a = layer.A;
        long batch = a.shape[0], channels = a.shape[1];
        var size = x.shape.AsSpan(2).ToArray();
        if (a.dim() - 2 != size.Length)
            throw new InvalidOperationException($"Layer {layer.Layer} has {a.dim() - 2} spatial dimension(s) but the input has {size.Length}.");
        var mode = size.Length switch { 1 => InterpolationMode.Linear, 2 => InterpolationMode.Bilinear, _ => InterpolationMode.Trilinear };
        int per = Values.PerturbationsPerPass ?? BatchPlanner.ExamplesPerPass(run, [x.narrow(0, 0, 1)], withGradients: false);
        int chunks = (int)((channels + per - 1) / per);
        var scores = new float[batch * channels];
        using var _ = no_grad();
        for (int b = 0; b < batch; b++)
            for (int chunk = 0; chunk < chunks; chunk++)
            {
                run.ThrowIfCancelled();
                using var scope = NewDisposeScope();
                long c0 = (long)chunk * per, n = Math.Min(per, channels - c0);
                var up = nn.functional.interpolate(a.narrow(0, b, 1).narrow(1, c0, n), size, mode: mode, align_corners: true)[0]; // (n, *S)
                var dims = CamMath.NonBatchDims(up);
                var min = up.amin(dims, keepdim: true);
                var max = up.amax(dims, keepdim: true);
                up = (up - min) / (max - min + 1e-8);
                var rows = x.narrow(0, b, 1) * up.unsqueeze(1);                  // (n, C_in, *S)
                var s = CamEngine.ScoreCopies(run, rows, layer.Target, b).to(ScalarType.Float32).cpu().data<float>().ToArray();
                Array.Copy(s, 0, scores, b * channels + c0, n);
                run.Report(Name, b * chunks + chunk + 1, (int)batch * chunks);
            }
        var t = tensor(scores, [batch, channels], ScalarType.Float32, a.device);
        return nn.functional.softmax(t, -1).to(a.dtype);
    }
}
