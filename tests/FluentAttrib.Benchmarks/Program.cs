using System.Diagnostics;
using FluentAttrib;
using static FluentAttrib.Fluent;
using TorchSharp;
using static TorchSharp.torch;

// Throughput of FluentAttrib's methods relative to the plain batched forward pass of the same model.
// Usage: dotnet run -c Release --project tests/FluentAttrib.Benchmarks [-- --quick | --soak [attributions]]
// Nothing here asserts a time: it prints measurements and the ratios the project's goals are stated in.
// --quick times only resnet18 (occlusion 45/9 incremental and plain, 16/16 incremental, the approximate mode) and
// skips the plain feature ablation; it prints every limit.

// --soak [N] runs N mixed attributions (default 10,000) on a small CNN and prints the RSS growth, nothing else.
if (Array.IndexOf(args, "--soak") is int soakAt and >= 0)
{
    int soakCount = soakAt + 1 < args.Length && int.TryParse(args[soakAt + 1], out var n) ? n : 10_000;
    Soak.Run(soakCount);
    return;
}

bool quick = args.Contains("--quick");
set_num_threads(Environment.ProcessorCount);
Console.WriteLine($"FluentAttrib benchmark — {Environment.ProcessorCount} cores, torch threads {get_num_threads()}, {(quick ? "quick" : "full")} run");

TorchSharp.torch.random.manual_seed(0);
var model = torchvision.models.resnet18();
model.eval();
var image = randn(1, 3, 224, 224);

// 1. Plain batched forward: the ceiling for any perturbation method on this model.
int forwardBatch = 16;
double forwardPerImage = Measure(() =>
{
    using var scope = NewDisposeScope();
    using var _ = no_grad();
    model.call(image.expand(forwardBatch, -1, -1, -1).contiguous());
}, quick ? 2 : 5) / forwardBatch;
Console.WriteLine($"plain forward, batch {forwardBatch}: {forwardPerImage * 1000:F1} ms/image ({1 / forwardPerImage:F1} images/s)");
Report.PeakRss("after forward");

// 2. Occlusion on the explainable resnet18 (random weights) and VGG16: incremental (the default) against plain batched
//    evaluation (.Incremental(false)) and against the plain batched forward pass, next to the limit: the ratio of the
//    convolution multiply-adds of plain evaluation to those of the exact projective fields, summed over all windows,
//    counted from the model analysis. Wall time and process CPU time are both printed: on a shared machine CPU time
//    is the steadier of the two (ratios are given for both).
var explainableResNet = FluentAttrib.Models.ExplainableResNet.From(model);
TorchSharp.torch.random.manual_seed(2);
var vgg16 = FluentAttrib.Models.ExplainableVgg.Vgg16();
vgg16.eval();
var networks = new (string Name, nn.Module<Tensor, Tensor> Model, (long Window, long Stride)[] Settings)[]
{
    ("resnet18", explainableResNet, [(45, 9), (15, 8), (16, 16)]),
    ("vgg16", vgg16, [(45, 9), (15, 8)]),
};
foreach (var (name, network, settings) in networks)
{
    var forward = Timing.Measure(() =>
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        network.call(image.expand(forwardBatch, -1, -1, -1).contiguous());
    }, quick ? 1 : 3).PerItem(forwardBatch);
    Console.WriteLine($"{name} plain forward, batch {forwardBatch}: {forward.Wall * 1000:F1} ms/image (CPU {forward.Cpu * 1000:F1} ms/image)");
    foreach (var (window, stride) in settings)
    {
        var cost = FluentAttrib.Core.Incremental.IncrementalCost.ForOcclusion(network, [1, 3, 224, 224], [3, window, window], [3, stride, stride])!.Value;
        int n = cost.Windows;
        Console.WriteLine($"  {name} occlusion {window}/{stride} ({n} windows): limit {cost.Full / cost.Exact:F2}× (exact projective fields), " +
                          $"planned {cost.Full / cost.Planned:F2}× (the boxes computed, {cost.PerPass} windows per pass at most)");
        bool measure = !quick || (name == "resnet18" && window != 15);
        if (!measure)
        {
            Console.WriteLine("    (not timed in --quick)");
            continue;
        }
        var occlusion = Occlusion.Window(3, window, window).Stride(3, stride, stride);
        var incremental = Timing.Once(() => { using (Explain(network).For(208).With(occlusion).Attribute(image)) { } });
        Console.WriteLine($"    incremental: {incremental.Wall:F2} s (CPU {incremental.Cpu:F2} s), {n / incremental.Wall:F1} windows/s = " +
                          $"{forward.Wall * n / incremental.Wall:F2}× plain batched forward (CPU {forward.Cpu * n / incremental.Cpu:F2}×)");
        bool plain = !quick || (name == "resnet18" && window == 45);
        if (plain)
        {
            var full = Timing.Once(() => { using (Explain(network).For(208).With(occlusion.Incremental(false)).Attribute(image)) { } });
            Console.WriteLine($"    plain batched occlusion: {full.Wall:F2} s (CPU {full.Cpu:F2} s), {n / full.Wall:F1} windows/s = {forward.Wall * n / full.Wall:P0} of plain batched forward");
            Console.WriteLine($"    incremental / plain: {full.Wall / incremental.Wall:F2}× wall, {full.Cpu / incremental.Cpu:F2}× CPU " +
                              $"(limit {cost.Full / cost.Exact:F2}×; {full.Cpu / incremental.Cpu / (cost.Full / cost.Exact):P0} of it by CPU time)");
        }
        if (name == "resnet18" && window == 45)
        {
            foreach (double cap in new[] { 0.5, 0.25 })
            {
                Attribution? approximate = null;
                var t = Timing.Once(() => approximate = Explain(network).For(208).With(occlusion.ApproximateProjectiveField(cap)).Attribute(image));
                using var exact = Explain(network).For(208).With(occlusion).Attribute(image);
                double scale = exact.Value.abs().max().item<float>();
                double error = (approximate!.Value - exact.Value).abs().max().item<float>();
                Console.WriteLine($"    approximate (projective field ≤ {cap:P0} of each map): {t.Wall:F2} s (CPU {t.Cpu:F2} s) = {incremental.Cpu / t.Cpu:F2}× exact incremental by CPU; " +
                                  $"max |error| {error:G3} = {error / scale:P2} of max |attribution|; sampled output error it reports (Delta): {approximate.Delta!.max().item<double>():G3}");
                approximate.Dispose();
            }
        }
        Report.PeakRss($"after {name} occlusion {window}/{stride}");
    }
}

// 2b. FeatureAblation with a superpixel mask (a 14×14 grid of 16×16 superpixels: 196 features) on the explainable resnet18.
{
    var rows = arange(224).div(16, rounding_mode: RoundingMode.floor);
    var mask = (rows.unsqueeze(1) * 14 + rows.unsqueeze(0)).reshape(1, 1, 224, 224);
    var ablation = FeatureAblation.Default.Mask(mask);
    var incremental = Timing.Once(() => { using (Explain(explainableResNet).For(208).With(ablation).Attribute(image)) { } });
    Console.WriteLine($"FeatureAblation, 196 superpixels, incremental: {incremental.Wall:F2} s (CPU {incremental.Cpu:F2} s)");
    if (!quick)
    {
        var plain = Timing.Once(() => { using (Explain(explainableResNet).For(208).With(ablation.Incremental(false)).Attribute(image)) { } });
        Console.WriteLine($"  plain batched: {plain.Wall:F2} s (CPU {plain.Cpu:F2} s); incremental / plain {plain.Wall / incremental.Wall:F2}× wall, {plain.Cpu / incremental.Cpu:F2}× CPU");
    }
    Report.PeakRss("after feature ablation");
}

// 3. Integrated gradients, 50 steps: path points per second against forward+backward of a plain batch.
double backwardPerImage = Measure(() =>
{
    using var scope = NewDisposeScope();
    var x = image.expand(forwardBatch, -1, -1, -1).contiguous().requires_grad_(true);
    var y = model.call(x)[.., 208].sum();
    autograd.grad([y], [x]);
}, quick ? 2 : 3) / forwardBatch;
{
    var sw = Stopwatch.StartNew();
    using (Explain(model).For(208).With(IntegratedGradients.Steps(50)).Attribute(image)) { }
    double seconds = sw.Elapsed.TotalSeconds;
    Console.WriteLine($"plain forward+backward, batch {forwardBatch}: {backwardPerImage * 1000:F1} ms/image");
    Console.WriteLine($"IntegratedGradients 50 steps: {seconds:F2} s, {50 / seconds:F1} path points/s = {50 / seconds * backwardPerImage:P0} of plain forward+backward");
    Report.PeakRss("after integrated gradients");
}

// 3b. LayerGradCam at layer4 of the explainable resnet18 (one forward + backward).
{
    double seconds = Measure(() => { using (Explain(explainableResNet).For(208).At("layer4").With(LayerGradCam.Default).Attribute(image)) { } }, quick ? 2 : 5);
    Console.WriteLine($"LayerGradCam at layer4: {seconds * 1000:F0} ms = {backwardPerImage / seconds:P0} of plain forward+backward of one image");
    Report.PeakRss("after LayerGradCam");
}

// 4. Memory stays flat over many perturbations (small model, 10,000 perturbations in all).
{
    TorchSharp.torch.random.manual_seed(1);
    var small = nn.Sequential(nn.Conv2d(3, 8, 3, padding: 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 4));
    var x = randn(1, 3, 20, 20);
    var occlusion = Occlusion.Window(3, 2, 2).Stride(3, 2, 2); // 100 windows per call
    int calls = quick ? 20 : 100;
    long first = 0;
    for (int i = 0; i < calls; i++)
    {
        using (Explain(small).For(1).With(occlusion).Attribute(x)) { }
        if (i == calls / 10) first = Report.CurrentRss();
    }
    long last = Report.CurrentRss();
    Console.WriteLine($"RSS over {calls * 100:N0} perturbations: {first / 1048576.0:F0} MB after 10% → {last / 1048576.0:F0} MB at the end ({(last - first) / 1048576.0:+0.0;-0.0} MB)");
}

// 5. Rule-based methods on the explainable equivalent of the same resnet18 (every ReLU and addition a module).
{
    var explainable = explainableResNet;
    var methods = new (string Name, AttributionMethod Method, double Passes)[]
    {
        ("DeepLift (inputs + baselines: 2 images)", DeepLift.Default, 2),
        ("GuidedBackprop", GuidedBackprop.Default, 1),
        ("Deconvolution", Deconvolution.Default, 1),
        ("LRP", Lrp.Default, 1),
    };
    foreach (var (name, method, passes) in methods)
    {
        double seconds = Measure(() => { using (Explain(explainable).For(208).With(method).Attribute(image)) { } }, quick ? 2 : 5);
        Console.WriteLine($"{name}: {seconds * 1000:F0} ms = {passes * backwardPerImage / seconds:P0} of plain forward+backward of the same images");
    }
    int calls = quick ? 50 : 300;
    long first = 0;
    for (int i = 0; i < calls; i++)
    {
        using (Explain(explainable).For(208).With(methods[i % methods.Length].Method).Attribute(image)) { }
        if (i == calls / 10) first = Report.CurrentRss();
    }
    long last = Report.CurrentRss();
    Console.WriteLine($"RSS over {calls} rule-based attributions: {first / 1048576.0:F0} MB after 10% → {last / 1048576.0:F0} MB at the end ({(last - first) / 1048576.0:+0.0;-0.0} MB)");
    Report.PeakRss("after rule-based methods");
}

static double Measure(Action action, int repeats)
{
    action(); // warm-up
    var sw = Stopwatch.StartNew();
    for (int i = 0; i < repeats; i++) action();
    return sw.Elapsed.TotalSeconds / repeats;
}

/// <summary>Wall-clock and process CPU seconds.</summary>
readonly record struct Timing(double Wall, double Cpu)
{
    public static Timing Once(Action action)
    {
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        action();
        double wall = sw.Elapsed.TotalSeconds;
        process.Refresh();
        return new Timing(wall, (process.TotalProcessorTime - cpu).TotalSeconds);
    }

    public static Timing Measure(Action action, int repeats)
    {
        action(); // warm-up
        var total = new Timing(0, 0);
        for (int i = 0; i < repeats; i++)
        {
            var t = Once(action);
            total = new Timing(total.Wall + t.Wall, total.Cpu + t.Cpu);
        }
        return new Timing(total.Wall / repeats, total.Cpu / repeats);
    }

    public Timing PerItem(int items) => new(Wall / items, Cpu / items);
}

static class Report
{
    public static void PeakRss(string when) => Console.WriteLine($"  peak RSS {when}: {Read("VmHWM") / 1048576.0:F0} MB");

    public static long CurrentRss() => Read("VmRSS");

    private static long Read(string key)
    {
        if (!File.Exists("/proc/self/status")) return 0;
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(key + ":", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        return 0;
    }
}
