using System.Diagnostics;
using System.Globalization;
using FluentAttrib;
using FluentAttrib.Onnx;
using FluentAttrib.Plotting;
using FluentAttrib.Pretrained;
using FluentAttrib.Samples;
using Microsoft.ML.OnnxRuntime;
using SkiaSharp;
using static TorchSharp.torch;

namespace OnnxImage;

/// <summary>What to explain and how; the defaults are the sample's default run, tests shrink the expensive ones.</summary>
internal sealed record DemoOptions
{
    public static string DefaultImage => Path.Combine(AppContext.BaseDirectory, "images", "dog_cat.jpg");

    public static string DefaultHead => Path.Combine(AppContext.BaseDirectory, "head.bin");

    /// <summary>An ONNX image classifier, or null for ML.NET's ResNet18 backbone with the quick start's head.</summary>
    public string? Model { get; init; }

    public string Image { get; init; } = DefaultImage;

    /// <summary>A class name or index; null for the top class.</summary>
    public string? Target { get; init; }

    /// <summary>Input scaling of a user model: imagenet ((x/255 − mean)/std), unit (x/255) or none (0–255).</summary>
    public string Normalize { get; init; } = "imagenet";

    public long OcclusionWindow { get; init; } = 32;

    public long OcclusionStride { get; init; } = 16;

    public int RiseMasks { get; init; } = 600;

    public int Superpixels { get; init; } = 60;

    public int KernelShapSamples { get; init; } = 300;

    public bool Svg { get; init; }

    /// <summary>
    /// Where the TorchSharp side runs (cpu or cuda; null: cuda when available): the image, the perturbed copies, the
    /// superpixel mask and the head. ONNX Runtime itself runs on the CPU; FluentAttrib.Onnx converts each pass once.
    /// </summary>
    public string? Device { get; init; }
}

internal sealed record FigureFile(string Name, byte[] Content);

/// <param name="Method">Method name.</param>
/// <param name="Elapsed">Wall-clock time of the attribution.</param>
/// <param name="LeftShare">Share of the positive attribution mass in the picture's left half.</param>
/// <param name="ForwardPasses">Images the session evaluated.</param>
internal sealed record MethodRun(string Method, TimeSpan Elapsed, double LeftShare, long ForwardPasses);

internal sealed record DemoResult(string Model, IReadOnlyList<string> Classes, int Target, double Probability,
    int SuperpixelCount, IReadOnlyList<MethodRun> Runs, IReadOnlyList<FigureFile> Figures);

/// <summary>
/// Loads the ONNX model into an ONNX Runtime session, classifies the picture, and explains the chosen class's
/// probability with Occlusion, RISE and KernelShap over SLIC superpixels, all through ONNX Runtime; draws one figure
/// per method and a summary, in memory.
/// </summary>
internal static class Demo
{
    private static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f], ImageNetStd = [0.229f, 0.224f, 0.225f];

    public static DemoResult Run(DemoOptions options, TextWriter log)
    {
        using var scope = NewDisposeScope();
        var device = DeviceOption.Resolve(options.Device);
        using var session = new InferenceSession(options.Model ?? PretrainedResNet18.NetworkPath);
        var (model, classes, prepare, size, description) = Load(session, options, device, log);

        // The picture, stretched to the model's input size (the default graph takes exactly 224×224).
        using var picture = LoadPicture(options.Image, size.Width, size.Height);
        var rgb = Planes(picture);
        var input = prepare(rgb).to(device);

        var probabilities = model.Run(input)[0];
        int top = (int)probabilities.argmax().item<long>();
        int target = options.Target is null ? top : ParseTarget(options.Target, classes);
        double probability = probabilities[target].item<float>();
        log.WriteLine($"Model: {description}; TorchSharp tensors on {device.type}");
        log.WriteLine($"Image: {options.Image} → {size.Width}×{size.Height}");
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Prediction: {Describe(classes, top)} ({probabilities[top].item<float>():P1}); explaining {Describe(classes, target)} ({probability:P1})"));

        // Superpixels for KernelShap: one feature per segment, shared by the three channels.
        int[] segments = Superpixels.Slic(rgb.flatten().data<float>().ToArray(), size.Height, size.Width, options.Superpixels);
        int segmentCount = segments.Max() + 1;
        var mask = tensor(segments.Select(s => (long)s).ToArray(), [1, 1, size.Height, size.Width], device: device);

        var occlusion = Occlusion.Window(3, options.OcclusionWindow, options.OcclusionWindow).Stride(3, options.OcclusionStride, options.OcclusionStride);
        var rise = Rise.Samples(options.RiseMasks).Seed(0);
        var kernelShap = KernelShap.Samples(options.KernelShapSamples).Mask(mask).Seed(0);

        var explainer = Fluent.Explain(model).For(target);
        var runs = new List<MethodRun>();
        Attribution Time(string name, AttributionMethod method, long passes, Func<Tensor, Tensor>? display = null)
        {
            var clock = Stopwatch.StartNew();
            var a = explainer.With(method).Attribute(input);
            var shown = display is null ? a.Value : display(a.Value);
            runs.Add(new MethodRun(name, clock.Elapsed, LeftShare(shown), passes));
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {name,-10} {clock.Elapsed.TotalSeconds,6:F1} s  {passes,5} images through ONNX Runtime   positive mass: left half {LeftShare(shown):P0}"));
            return a;
        }
        long windows = (long)Math.Pow(Math.Ceiling((size.Width - options.OcclusionWindow) / (double)options.OcclusionStride) + 1, 2);
        using var occ = Time("Occlusion", occlusion, windows + 1);
        // RISE's saliency is an expected probability: its mean is the model's mean output on masked copies; shown minus that mean.
        using var ris = Time("RISE", rise, options.RiseMasks, s => s - s.mean());
        using var shap = Time("KernelShap", kernelShap, options.KernelShapSamples);
        var riseCentred = ris.Value - ris.Value.mean();

        string cls = Describe(classes, target);
        using var outlined = Outline(picture, segments);
        var figures = new List<FigureFile>();
        string stem = Path.GetFileNameWithoutExtension(options.Image);
        void Add(string name, ImageFigure figure)
        {
            figures.Add(new FigureFile($"{stem}_{name}.png", figure.ToPng()));
            if (options.Svg) figures.Add(new FigureFile($"{stem}_{name}.svg", System.Text.Encoding.UTF8.GetBytes(figure.ToSvg())));
        }
        Add("occlusion", occ.Plot(ImageView.OriginalImage.WithTitle(cls), ImageView.BlendedHeatMap.All.WithColorbar()
                .WithTitle($"Occlusion {options.OcclusionWindow}/{options.OcclusionStride}")).Over(picture).WithSize(1000, 420));
        Add("rise", riseCentred.Plot(ImageView.OriginalImage.WithTitle(cls), ImageView.BlendedHeatMap.All.WithColorbar()
                .WithTitle($"RISE, {options.RiseMasks} masks (minus mean)")).Over(picture).WithSize(1000, 420));
        Add("kernelshap", shap.Plot(ImageView.OriginalImage.WithTitle($"{segmentCount} superpixels"), ImageView.BlendedHeatMap.All.WithColorbar()
                .WithTitle($"KernelShap, {options.KernelShapSamples} coalitions")).Over(outlined).WithSize(1000, 420));
        Add("summary", occ.Plot(ImageView.OriginalImage.WithTitle(cls), ImageView.HeatMap.Positive.WithTitle("Occlusion"))
                .Beside(riseCentred, ImageView.HeatMap.Positive.WithTitle("RISE"))
                .Beside(shap.Value, ImageView.HeatMap.Positive.WithTitle("KernelShap (superpixels)"))
                .Over(picture).WithSize(1400, 420));
        return new DemoResult(description, classes, target, probability, segmentCount, runs, figures);
    }

    /// <summary>The session as a model of class probabilities, its class names, its input preparation and size.</summary>
    private static (OnnxModel Model, IReadOnlyList<string> Classes, Func<Tensor, Tensor> Prepare, (int Width, int Height) Size, string Description)
        Load(InferenceSession session, DemoOptions options, Device device, TextWriter log)
    {
        var model = OnnxModel.From(session);
        if (options.Model is null)
        {
            // ML.NET's ResNet18 backbone: BGR minus a mean image in, 512 pooled features out; the quick start's head on
            // top, on the device the session's output comes back to (the input's).
            var cpuHead = Head.Load(DemoOptions.DefaultHead);
            var head = cpuHead with { Weight = cpuHead.Weight.to(device), Bias = cpuHead.Bias.to(device) };
            var preprocess = PretrainedResNet18.LoadPreprocess();
            return (model.Head(f => softmax(head.Apply(f), 1)), head.Classes, rgb => preprocess.call(rgb), (224, 224),
                "ML.NET's ImageNet-pretrained ResNet18 backbone (ONNX, input [1, 3, 224, 224]) run by ONNX Runtime, " +
                $"with the quick start's linear head ({string.Join(" / ", head.Classes)}) applied after the session");
        }

        // A user's classifier: the first 4-D input, the first output, logits → probabilities.
        var (name, meta) = session.InputMetadata.FirstOrDefault(kv => kv.Value.Dimensions.Length == 4);
        if (name is null) throw new ArgumentException($"{options.Model} has no 4-D (N, C, H, W) image input.");
        if (session.InputMetadata.Count > 1) log.WriteLine($"Note: the model has {session.InputMetadata.Count} inputs; feeding '{name}' only.");
        if (meta.Dimensions[1] is not (3 or -1)) throw new ArgumentException($"The input '{name}' has {meta.Dimensions[1]} channels; the sample feeds RGB.");
        int height = meta.Dimensions[2] > 0 ? meta.Dimensions[2] : 224, width = meta.Dimensions[3] > 0 ? meta.Dimensions[3] : 224;
        string output = session.OutputMetadata.Keys.First();
        if (session.OutputMetadata.Count > 1) log.WriteLine($"Note: the model has {session.OutputMetadata.Count} outputs; explaining '{output}'.");
        int classCount = session.OutputMetadata[output].Dimensions.Skip(1).Aggregate(1, (a, d) => a * Math.Max(d, 1));
        var classes = Enumerable.Range(0, classCount).Select(k => $"class {k}").ToArray();
        var mean = tensor(ImageNetMean).reshape(1, 3, 1, 1);
        var std = tensor(ImageNetStd).reshape(1, 3, 1, 1);
        Func<Tensor, Tensor> prepare = options.Normalize switch
        {
            "imagenet" => rgb => (rgb / 255 - mean) / std,
            "unit" => rgb => rgb / 255,
            "none" => rgb => rgb,
            _ => throw new ArgumentException($"--normalize takes imagenet, unit or none, not '{options.Normalize}'."),
        };
        return (model.Inputs(name).Output(output).Head(y => softmax(y.flatten(1), 1)), classes, prepare, (width, height),
            $"{options.Model} (input '{name}', output '{output}') run by ONNX Runtime, inputs scaled '{options.Normalize}'");
    }

    private static int ParseTarget(string target, IReadOnlyList<string> classes)
    {
        for (int k = 0; k < classes.Count; k++)
            if (string.Equals(classes[k], target, StringComparison.OrdinalIgnoreCase)) return k;
        if (int.TryParse(target, NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index < classes.Count) return index;
        throw new UsageException($"Unknown class '{target}'; the model's classes are {string.Join(", ", classes.Take(10))}{(classes.Count > 10 ? ", …" : "")} (or an index below {classes.Count}).");
    }

    private static string Describe(IReadOnlyList<string> classes, int k) => classes[k].StartsWith("class ", StringComparison.Ordinal) ? classes[k] : $"'{classes[k]}'";

    /// <summary>Decodes an image and stretches it to width × height (RGBA).</summary>
    private static SKBitmap LoadPicture(string path, int width, int height)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"There is no image {path}.", path);
        using var decoded = SKBitmap.Decode(path) ?? throw new InvalidDataException($"{path} is not an image SkiaSharp can decode.");
        return decoded.Resize(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul), new SKSamplingOptions(SKCubicResampler.Mitchell))
               ?? throw new InvalidDataException($"{path} could not be resized.");
    }

    /// <summary>1×3×H×W planar RGB in 0–255.</summary>
    private static Tensor Planes(SKBitmap picture)
    {
        int w = picture.Width, h = picture.Height;
        ReadOnlySpan<byte> rgba = picture.GetPixelSpan();
        var planes = new float[3 * w * h];
        for (int p = 0; p < w * h; p++)
            for (int c = 0; c < 3; c++)
                planes[c * w * h + p] = rgba[4 * p + c];
        return tensor(planes, [1, 3, h, w]);
    }

    /// <summary>The picture with the superpixels' borders drawn in white.</summary>
    private static SKBitmap Outline(SKBitmap picture, int[] segments)
    {
        var copy = picture.Copy();
        int w = copy.Width, h = copy.Height;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int s = segments[y * w + x];
                if ((x + 1 < w && segments[y * w + x + 1] != s) || (y + 1 < h && segments[(y + 1) * w + x] != s))
                    copy.SetPixel(x, y, new SKColor(255, 255, 255));
            }
        return copy;
    }

    /// <summary>Share of the positive attribution mass (summed over channels) in the left half of the picture.</summary>
    public static double LeftShare(Tensor attribution)
    {
        using var scope = NewDisposeScope();
        var map = attribution.detach().to(ScalarType.Float64).sum(dim: 1).clamp_min(0);
        long w = map.shape[^1];
        double total = map.sum().item<double>();
        return total > 0 ? map.narrow(-1, 0, w / 2).sum().item<double>() / total : double.NaN;
    }
}

/// <summary>A wrong command line (exit code 2).</summary>
internal sealed class UsageException(string message) : Exception(message);
