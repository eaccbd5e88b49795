using System.Diagnostics;
using FluentAttrib;
using FluentAttrib.Architectures;
using FluentAttrib.Plotting;
using FluentAttrib.Pretrained;
using Quickstart;
using ScottPlot;
using TorchSharp;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace CamGallery;

/// <summary>One panel: a method's map for one class, its time and how much of its mass lies on that class's animal.</summary>
public sealed record Panel(string Method, string Class, Tensor Map, double Seconds, double MassOnAnimal, bool Discriminative);

/// <summary>The gallery: every panel and the figure.</summary>
public sealed record GalleryResult(IReadOnlyList<Panel> Panels, byte[] Png);

/// <summary>Runs every CAM for the dog and the cat of images/dog_cat.jpg (dog on the left half, cat on the right).</summary>
public static class Gallery
{
    /// <summary>
    /// The methods, in gallery order, and whether each is class-discriminative (EigenCAM ignores the class, EigenGradCAM
    /// and FullGrad mix in class-agnostic terms or an arbitrary sign). The last two evaluate each channel of layer4 per class
    /// (512 channels: ScoreCAM with a forward pass each, AblationCAM with a pass of the network after layer4).
    /// </summary>
    public static IReadOnlyList<(string Name, object Method, bool Discriminative)> Methods { get; } =
    [
        ("GradCAM", GradCam.Default, true),
        ("HiResCAM", HiResCam.Default, true),
        ("GradCAMElementWise", GradCamElementWise.Default, true),
        ("GradCAM++", GradCamPlusPlus.Default, true),
        ("XGradCAM", XGradCam.Default, true),
        ("LayerCAM", LayerCam.Default, true),
        ("EigenCAM", EigenCam.Default, false),
        ("EigenGradCAM", EigenGradCam.Default, false),
        ("ShapleyCAM", ShapleyCam.Default, true),
        ("FinerCAM", FinerCam.Default.ComparisonRanks(1, 2), true),
        ("FullGrad", FullGrad.Default, false),
        ("ScoreCAM", ScoreCam.Default, false),
        ("AblationCAM", AblationCam.Default, false),
    ];

    /// <summary>
    /// Runs the methods (those named in <paramref name="only"/>, if given) on <paramref name="device"/> (default CPU:
    /// the network and the photo are moved there) and draws the gallery.
    /// </summary>
    public static GalleryResult Run(TextWriter log, bool includePerturbation, IReadOnlyCollection<string>? only = null, Device? device = null)
    {
        ScottPlot.Fonts.Default = "DejaVu Sans";
        using var setup = Setup.Load(device ?? CPU);
        var (head, model, photo, input) = (setup.Head, setup.Model, setup.Photo, setup.Input);
        int dog = head.IndexOf("dog"), cat = head.IndexOf("cat");
        log.WriteLine($"Photo: images/dog_cat.jpg ({input.shape[3]}×{input.shape[2]}), dog on the left, cat on the right");
        log.WriteLine($"Network: pretrained ResNet18 backbone + the Quickstart's head ({string.Join(" / ", head.Classes)}); CAMs at layer4 (512 channels), on {input.device.type}");

        using (no_grad()) model.call(input).Dispose();                          // warm-up, so the first panel's time is not start-up
        var panels = new List<Panel>();
        var explainer = Explain(model);
        foreach (var (name, method, discriminative) in Methods)
        {
            if (!includePerturbation && method is ScoreCam or AblationCam) continue;
            if (only is not null && !only.Contains(name)) continue;
            foreach (var (cls, label, left) in new[] { (dog, "dog", true), (cat, "cat", false) })
            {
                var clock = Stopwatch.StartNew();
                var targeted = explainer.For(cls);
                var attribution = method is FullGrad fullGrad
                    ? targeted.With(fullGrad).Attribute(input)
                    : targeted.At("layer4").With((CamMethod)method).Attribute(input);
                double seconds = clock.Elapsed.TotalSeconds;
                var map = attribution.Value.detach().cpu().clone();   // the figure reads it on the CPU
                attribution.Dispose();
                double mass = MassOnHalf(map, left);
                panels.Add(new Panel(name, label, map, seconds, mass, discriminative));
                log.WriteLine($"  {name,-19} {label}: {seconds,6:F2} s, {100 * mass,5:F1}% of the map's mass on the {label}");
            }
        }
        return new GalleryResult(panels, Figure(panels, photo));
    }

    /// <summary>
    /// Times ScoreCAM and AblationCAM at layer4 (512 channels) against 512 forward passes of the same network on a
    /// <paramref name="size"/>×<paramref name="size"/> crop of the photo, batched as ScoreCAM batches them (16 per pass),
    /// in CPU time of this process (robust when other processes share the cores) and in wall time, on
    /// <paramref name="device"/> (default CPU).
    /// </summary>
    public static void Measure(TextWriter log, int size, Device? device = null)
    {
        using var setup = Setup.Load(device ?? CPU);
        var (head, model, full) = (setup.Head, setup.Model, setup.Input);
        using var input = nn.functional.interpolate(full.narrow(3, 0, full.shape[2]), [size, size], mode: InterpolationMode.Bilinear, align_corners: false);
        int dog = head.IndexOf("dog");
        var process = Process.GetCurrentProcess();
        (double Cpu, double Wall) Time(Action action)
        {
            process.Refresh();
            var cpu = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            action();
            process.Refresh();
            return ((process.TotalProcessorTime - cpu).TotalSeconds, clock.Elapsed.TotalSeconds);
        }
        using (no_grad()) model.call(input).Dispose();
        var forwards = Time(() =>
        {
            using var _ = no_grad();
            for (int i = 0; i < 512; i += 16)
            {
                using var scope = NewDisposeScope();
                model.call(input.expand(16, -1, -1, -1).contiguous());
            }
        });
        var score = Time(() => Explain(model).For(dog).At("layer4").With(ScoreCam.Default).Attribute(input).Dispose());
        var ablation = Time(() => Explain(model).For(dog).At("layer4").With(AblationCam.Default).Attribute(input).Dispose());
        log.WriteLine($"{size}×{size} input, layer4 (512 channels), CPU seconds (wall seconds):");
        log.WriteLine($"  512 forward passes, 16 per pass: {forwards.Cpu:F1} s ({forwards.Wall:F1} s)");
        log.WriteLine($"  ScoreCAM:    {score.Cpu:F1} s ({score.Wall:F1} s), {score.Cpu / forwards.Cpu:F2}× the forward passes");
        log.WriteLine($"  AblationCAM: {ablation.Cpu:F1} s ({ablation.Wall:F1} s), {ablation.Cpu / forwards.Cpu:F2}× the forward passes");
    }

    /// <summary>
    /// The pretrained ResNet18 backbone with the Quickstart's head, as an explainable copy in eval mode on a device, and
    /// the dog-and-cat photo preprocessed onto that device; disposing it disposes all of them.
    /// </summary>
    private sealed class Setup : IDisposable
    {
        private readonly nn.Module imported;

        private Setup(Head head, nn.Module imported, ExplainableResNet model, Photo photo, Tensor input)
        {
            Head = head;
            this.imported = imported;
            Model = model;
            Photo = photo;
            Input = input;
        }

        public Head Head { get; }
        public ExplainableResNet Model { get; }
        public Photo Photo { get; }
        public Tensor Input { get; }

        public static Setup Load(Device device)
        {
            var head = Head.Load(Path.Combine(AppContext.BaseDirectory, "head.bin"));
            var imported = PretrainedResNet18.Create(head.Classes.Count);
            head.LoadInto(imported.named_children().Single(c => c.name == "fc").module);
            var model = ExplainableResNet.From(imported);
            model.eval();
            model.to(device);
            using var preprocess = PretrainedResNet18.LoadPreprocess();
            var photo = Photo.Load(Path.Combine(AppContext.BaseDirectory, "images", "dog_cat.jpg"));
            return new Setup(head, imported, model, photo, OnDevice(preprocess.call(photo.Rgb), device));
        }

        public void Dispose()
        {
            Input.Dispose();
            Photo.Dispose();
            Model.Dispose();
            imported.Dispose();
        }
    }

    /// <summary><paramref name="x"/> on <paramref name="device"/> (itself when it is there already; otherwise the CPU copy is disposed).</summary>
    private static Tensor OnDevice(Tensor x, Device device)
    {
        if (x.device.type == device.type && x.device.index == device.index) return x;
        using (x) return x.to(device);
    }

    /// <summary>The share of the map's total mass in the left or right half of the picture.</summary>
    public static double MassOnHalf(Tensor map, bool left)
    {
        long width = map.shape[^1], half = width / 2;
        double total = map.sum().item<float>();
        if (total <= 0) return double.NaN;
        using var part = left ? map.narrow(-1, 0, half) : map.narrow(-1, half, width - half);
        return part.sum().item<float>() / total;
    }

    private static byte[] Figure(IReadOnlyList<Panel> panels, Photo photo)
    {
        var methods = panels.Select(p => p.Method).Distinct().ToArray();
        int columns = 4, rows = (methods.Length * 2 + columns - 1) / columns;
        const int panelWidth = 330, panelHeight = 200;
        var multiplot = new Multiplot();
        multiplot.AddPlots(panels.Count);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, columns);
        var image = InputImage.FromBitmap(photo.Picture);
        for (int i = 0; i < panels.Count; i++)
        {
            var p = panels[i];
            var plot = multiplot.GetPlot(i);
            plot.Add.Attribution(p.Map.unsqueeze(0), ImageView.BlendedHeatMap.Positive.WithColormap(new ScottPlot.Colormaps.Turbo()).WithAlphaOverlay(0.5),
                image, scale: AttributionScale.Fixed(1));
            plot.Title($"{p.Method} · {p.Class} · {p.Seconds:F2} s", size: 13);
            plot.Axes.Title.Label.Bold = false;
            foreach (var axis in plot.Axes.GetAxes())
            {
                axis.TickLabelStyle.IsVisible = false;
                axis.MajorTickStyle.Length = 0;
                axis.MinorTickStyle.Length = 0;
                axis.Label.IsVisible = false;
                axis.MinimumSize = axis.MaximumSize = 2;
            }
            plot.HideGrid();
            plot.Axes.SquareUnits();
        }
        using var img = multiplot.Render(columns * panelWidth, rows * panelHeight);
        return img.GetImageBytes(ImageFormat.Png);
    }
}
