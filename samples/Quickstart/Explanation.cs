using System.Diagnostics;
using System.Globalization;
using FluentAttrib;
using FluentAttrib.Plotting;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace Quickstart;

/// <summary>The methods' settings. The defaults are the default run's; tests shrink the expensive ones.</summary>
internal sealed record ExplainSettings
{
    /// <summary>Occlusion's sliding window (channels × height × width): the seed recipe's 3×45×45.</summary>
    public long[] OcclusionWindow { get; init; } = [3, 45, 45];

    /// <summary>Occlusion's stride: the seed recipe's 3×9×9.</summary>
    public long[] OcclusionStride { get; init; } = [3, 9, 9];

    /// <summary>Integrated Gradients' steps (Gauss–Legendre) per noisy sample.</summary>
    public int IgSteps { get; init; } = 16;

    /// <summary>NoiseTunnel (SmoothGrad) samples, each one Integrated Gradients run.</summary>
    public int NoiseSamples { get; init; } = 4;

    /// <summary>SmoothGrad's noise σ as a fraction of the input's value range (Smilkov et al. suggest 10–20%).</summary>
    public double NoiseLevel { get; init; } = 0.1;

    /// <summary>Seed of the SmoothGrad noise.</summary>
    public long Seed { get; init; }

    /// <summary>Also write every figure as SVG.</summary>
    public bool Svg { get; init; }
}

/// <summary>A figure rendered in memory, written only once every method has succeeded.</summary>
internal sealed record FigureFile(string Name, byte[] Content);

/// <summary>One method run for one class: its time and where its positive attribution lies.</summary>
/// <param name="Method">Short method name.</param>
/// <param name="Class">Class index.</param>
/// <param name="Elapsed">Wall-clock time of the attribution (not the drawing).</param>
/// <param name="LeftShare">Share of the positive attribution mass in the picture's left half (NaN if there is none).</param>
internal sealed record MethodRun(string Method, int Class, TimeSpan Elapsed, double LeftShare);

/// <summary>What <see cref="Explanation.Run"/> produced.</summary>
internal sealed record ExplanationResult(IReadOnlyList<MethodRun> Runs, IReadOnlyList<FigureFile> Figures);

/// <summary>
/// The Captum recipe on one picture, for each target class: Occlusion (drawn like Captum's
/// <c>visualize_image_attr_multiple</c>: the picture beside the positive heat map), LayerGradCam on the last stage
/// upsampled onto the picture (blended heat map), and Integrated Gradients inside a SmoothGrad NoiseTunnel; plus one
/// summary figure per class with the three side by side. Everything is computed and drawn in memory; nothing is
/// written here.
/// </summary>
internal static class Explanation
{
    public const string OcclusionName = "Occlusion";
    public const string GradCamName = "LayerGradCam";
    public const string IgName = "IG + SmoothGrad";

    public static ExplanationResult Run(IClassifier network, Photo photo, string stem, IReadOnlyList<int> targets,
        ExplainSettings settings, TextWriter log, Func<IProgress<AttributionProgress>> progress)
    {
        var runs = new List<MethodRun>();
        var figures = new List<FigureFile>();
        long height = photo.Rgb.shape[2], width = photo.Rgb.shape[3];
        using var input = network.Input(photo.Rgb);
        double range = input.max().item<float>() - input.min().item<float>();
        double sigma = settings.NoiseLevel * range;

        var occlusion = Occlusion.Window(settings.OcclusionWindow).Stride(settings.OcclusionStride).Baseline(0);
        var gradCam = LayerGradCam.Default.Relu();
        var smoothIg = NoiseTunnel.SmoothGrad(IntegratedGradients.Steps(settings.IgSteps).InternalBatchSize(8))
            .Samples(settings.NoiseSamples).InternalBatchSize(1).StdDev(sigma).Seed(settings.Seed);
        string igTitle = $"IG ({settings.IgSteps} steps) × SmoothGrad ({settings.NoiseSamples} samples)";
        log.WriteLine($"Methods: {OcclusionName} window {Dims(settings.OcclusionWindow)} stride {Dims(settings.OcclusionStride)} baseline 0; " +
                      $"{GradCamName} at {Classifiers.LastStage} (ReLU, bilinear upsampling); " +
                      $"Integrated Gradients, {settings.IgSteps} steps, in a SmoothGrad NoiseTunnel of {settings.NoiseSamples} samples, " +
                      $"σ = {sigma.ToString("G3", CultureInfo.InvariantCulture)} ({settings.NoiseLevel:P0} of the input's range)");

        foreach (int k in targets)
        {
            string name = network.Classes[k];
            string slug = Slug(name);
            log.WriteLine($"Class {k} '{name}':");

            var clock = Stopwatch.StartNew();
            using var occ = Explain(network.Model).For(k).With(occlusion).WithProgress(progress()).Attribute(input);
            runs.Add(Report(log, OcclusionName, k, clock.Elapsed, occ.Value));

            clock.Restart();
            using var cam = Explain(network.Model).For(k).At(Classifiers.LastStage).With(gradCam).Attribute(input);
            using var camUp = LayerAttribution.Interpolate(cam.Value, [height, width], InterpolationMode.Bilinear);
            runs.Add(Report(log, GradCamName, k, clock.Elapsed, camUp));

            clock.Restart();
            using var ig = Explain(network.Model).For(k).With(smoothIg).WithProgress(progress()).Attribute(input);
            runs.Add(Report(log, IgName, k, clock.Elapsed, ig.Value));

            var picture = photo.Picture;
            // Captum's tutorial views: the picture beside the positive heat map (Occlusion, IG), a blended heat map (Grad-CAM).
            Add(figures, $"{stem}_{slug}_occlusion", settings,
                occ.Plot(ImageView.OriginalImage.WithTitle(name), ImageView.HeatMap.Positive.WithColorbar().WithTitle($"Occlusion {Dims(settings.OcclusionWindow)}"))
                   .Over(picture).WithSize(1000, 360));
            Add(figures, $"{stem}_{slug}_gradcam", settings,
                camUp.Plot(ImageView.OriginalImage.WithTitle(name), ImageView.BlendedHeatMap.Positive.WithColorbar().WithTitle($"Grad-CAM ({Classifiers.LastStage})"))
                     .Over(picture).WithSize(1000, 360));
            Add(figures, $"{stem}_{slug}_ig_smoothgrad", settings,
                ig.Plot(ImageView.OriginalImage.WithTitle(name), ImageView.HeatMap.Positive.WithColorbar().WithTitle(igTitle))
                  .Over(picture).WithSize(1000, 360));
            Add(figures, $"{stem}_{slug}_summary", settings,
                occ.Plot(ImageView.OriginalImage.WithTitle($"class '{name}'"), ImageView.HeatMap.Positive.WithTitle("Occlusion"))
                   .Beside(camUp, ImageView.BlendedHeatMap.Positive.WithTitle("Grad-CAM"))
                   .Beside(ig.Value, ImageView.HeatMap.Positive.WithTitle("IG + SmoothGrad"))
                   .Over(picture).WithSize(1200, 90 + (int)(280.0 * height / width)));
        }
        return new ExplanationResult(runs, figures);
    }

    /// <summary>Share of the positive attribution mass (summed over channels) in the left half of the picture.</summary>
    public static double LeftShare(Tensor attribution)
    {
        using var scope = NewDisposeScope();
        var map = attribution.detach().to(ScalarType.Float64).sum(dim: 1).clamp_min(0);
        long w = map.shape[^1];
        double total = map.sum().item<double>();
        if (!(total > 0)) return double.NaN;
        return map.narrow(-1, 0, w / 2).sum().item<double>() / total;
    }

    public static string Slug(string name) =>
        string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '_')).Trim('_');

    private static MethodRun Report(TextWriter log, string method, int k, TimeSpan elapsed, Tensor attribution)
    {
        var run = new MethodRun(method, k, elapsed, LeftShare(attribution));
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {method,-16} {elapsed.TotalSeconds,7:F1} s   positive mass: left half {Percent(run.LeftShare)}, right half {Percent(1 - run.LeftShare)}"));
        return run;
    }

    public static string Percent(double share) => double.IsNaN(share) ? "  –" : $"{share * 100,3:F0}%";

    private static void Add(List<FigureFile> figures, string name, ExplainSettings settings, ImageFigure figure)
    {
        figures.Add(new FigureFile(name + ".png", figure.ToPng()));
        if (settings.Svg) figures.Add(new FigureFile(name + ".svg", System.Text.Encoding.UTF8.GetBytes(figure.ToSvg())));
    }

    private static string Dims(long[] dims) => string.Join("×", dims);
}
