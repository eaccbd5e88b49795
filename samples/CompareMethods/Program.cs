using FluentAttrib;
using FluentAttrib.Architectures;
using FluentAttrib.Plotting;
using FluentAttrib.Pretrained;
using FluentAttrib.Samples;
using Quickstart;
using TorchSharp;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

// Which attribution method is most faithful on the pretrained ResNet18 (ML.NET's ImageNet backbone with the Quickstart
// sample's dog / cat / other-animal / object-or-scene head)? Five methods explain three photos (a cat, a dog, the
// "chelsea" cat) and are scored by deletion, insertion and ROAD (most relevant first), and by the model-parameter
// randomisation sanity check. Prints the table and writes the figures.
//
//   dotnet run --project samples/CompareMethods [-- --quick] [--out FOLDER] [--device cpu|cuda]
//
// --quick: one photo at 112×112 and fewer steps (a smoke run, used by the tests). Figures go to ./figures by default.
// --device: where the network runs (default: cuda when TorchSharp reports it available, else cpu).

bool quick = args.Contains("--quick");
string output = Option("--out") ?? Path.Combine(Environment.CurrentDirectory, "figures");
string? deviceName = Option("--device");
if (args.Contains("--device") && deviceName is null || !DeviceOption.IsValid(deviceName))
{
    Console.Error.WriteLine($"error: --device takes cpu or cuda{(deviceName is null ? "" : $", not '{deviceName}'")}.\n  {DeviceOption.Help}");
    return 2;
}
try
{
    TorchRuntime.EnsureLoaded();
    CompareRun.Run(quick, output, Console.Out, DeviceOption.Resolve(deviceName));
    return 0;
}
catch (Exception e) when (e is ArgumentException or TorchSharpLoadException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}

string? Option(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

/// <summary>The comparison and the files it wrote.</summary>
public sealed record CompareResult(ComparisonReport Report, IReadOnlyList<string> Figures);

/// <summary>The sample's work, callable from the tests.</summary>
public static class CompareRun
{
    /// <summary>
    /// Runs the comparison (<paramref name="quick"/>: one photo at 112×112, fewer steps) on <paramref name="device"/>
    /// (default CPU: the network and the photos are moved there), writes the figures to <paramref name="output"/>.
    /// </summary>
    public static CompareResult Run(bool quick, string output, TextWriter log, Device? device = null)
    {
        device ??= CPU;
        Directory.CreateDirectory(output);
        int size = quick ? 112 : 224;

        var head = Head.Load(Path.Combine(AppContext.BaseDirectory, "head.bin"));
        using var imported = PretrainedResNet18.Create(head.Classes.Count);
        head.LoadInto(imported.named_children().Single(c => c.name == "fc").module);
        using var model = ExplainableResNet.From(imported); // every ReLU a module: GuidedBackprop and DeepLift apply their rules
        model.eval();
        model.to(device);
        using var preprocess = PretrainedResNet18.LoadPreprocess();

        // The photos: a square crop of each (the left half of the two composites: one animal each).
        (string File, bool Left)[] photos = quick ? [("cat_dog.jpg", true)] : [("cat_dog.jpg", true), ("dog_cat.jpg", true), ("chelsea.jpg", false)];
        var crops = new List<Tensor>();
        foreach (var (file, left) in photos)
        {
            using var photo = Photo.Load(Path.Combine(AppContext.BaseDirectory, "images", file), size);
            long width = photo.Rgb.shape[3], start = left ? 0 : (width - size) / 2;
            crops.Add(photo.Rgb.narrow(3, start, size).clone());
        }
        var inputs = preprocess.call(cat(crops.ToArray(), 0)).detach().to(device);
        long[] predicted;
        using (no_grad()) predicted = model.call(inputs).argmax(1).cpu().data<long>().ToArray();
        for (int i = 0; i < photos.Length; i++) log.WriteLine($"{photos[i].File}: predicted {head.Classes[(int)predicted[i]]}");
        var target = Target.PerExample(predicted);

        // The methods. Grad-CAM is a layer method: its 7×7 map on layer4, upsampled to the image, joins as a function.
        var occlusion = quick ? Occlusion.Window(3, 28, 28).Stride(3, 28, 28) : Occlusion.Window(3, 56, 56).Stride(3, 56, 56);
        var smoothIg = NoiseTunnel.SmoothGrad(IntegratedGradients.Steps(quick ? 4 : 8)).Samples(quick ? 2 : 4).StdDev(Math.Round(0.1 * inputs.std().item<float>(), 2)).Seed(0);
        Tensor GradCam(Tensor x)
        {
            using var cam = Explain(model).For(target).At("layer4").With(LayerGradCam.Default).Attribute(x);
            return nn.functional.interpolate(cam.Value, [x.shape[2], x.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
        }

        int pixels = size * size, steps = 10;
        var comparison = Compare(model).For(target)
            .Methods(occlusion, smoothIg, GuidedBackprop.Default, DeepLift.Default)
            .Method("LayerGradCam(layer4, upsampled)", GradCam)
            .Metrics(
                Deletion.FeaturesPerStep(pixels / steps),
                Insertion.FeaturesPerStep(pixels / steps),
                Road.Default.StdDev(0).Percentages(20, 50, 80),
                ModelParameterRandomisation.Default.LastOnly())
            .WithProgress(new ConsoleProgress(log));
        var report = comparison.On(inputs);
        log.WriteLine();
        log.WriteLine(report);

        // The sanity check: an explanation of the fully randomised network should no longer resemble the explanation of the
        // trained one (|Spearman| below 0.5 here); Grad-CAM joined as a function, so it cannot be re-explained.
        const int Randomisation = 3;
        for (int m = 0; m < report.Methods.Count; m++)
        {
            double rho = report.Mean(m, Randomisation);
            string verdict = double.IsNaN(rho) ? "not checked (a layer method given as a function)" : rho < 0.5 ? "passes" : "fails";
            log.WriteLine($"Randomisation check, {report.Methods[m]}: |Spearman| = {rho:0.000} → {verdict}");
        }

        // The figures: deletion and insertion curves per method, and the score charts.
        var figures = new List<string>();
        void Save(ScottPlot.Plot plot, string name)
        {
            using (plot) plot.SavePng(Path.Combine(output, name), 900, 550);
            figures.Add(Path.Combine(output, name));
        }
        Save(report.CurvesPlot(0), "deletion.png");
        Save(report.CurvesPlot(1), "insertion.png");
        Save(report.CurvesPlot(2), "road.png");
        for (int j = 0; j < report.Metrics.Count; j++) Save(report.ScoresPlot(j), $"scores-{j}.png");
        log.WriteLine($"Figures written to {output}");
        return new CompareResult(report, figures);
    }
}

/// <summary>Writes progress as it comes (on the calling thread, unlike <see cref="Progress{T}"/>).</summary>
internal sealed class ConsoleProgress(TextWriter log) : IProgress<AttributionProgress>
{
    public void Report(AttributionProgress value) => log.Write($"\r{value.Completed}/{value.Total} steps");
}
