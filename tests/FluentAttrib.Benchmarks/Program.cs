using System.Diagnostics;
using FluentAttrib;
using static FluentAttrib.Fluent;
using TorchSharp;
using static TorchSharp.torch;

// Throughput of FluentAttrib's methods relative to the plain batched forward pass of the same model.
// Usage: dotnet run -c Release --project tests/FluentAttrib.Benchmarks [-- --quick]
// Nothing here asserts a time: it prints measurements and the ratios the project's goals are stated in.

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

// 2. Occlusion, window 3x45x45, stride 3x9x9: 400 windows.
foreach (int? ppe in new int?[] { null, 16 })
{
    var occlusion = Occlusion.Window(3, 45, 45).Stride(3, 9, 9).Baseline(0);
    if (ppe is { } n) occlusion = occlusion.PerturbationsPerEval(n);
    var run = Explain(model).For(208).With(occlusion);
    var sw = Stopwatch.StartNew();
    using (run.Attribute(image)) { }
    double seconds = sw.Elapsed.TotalSeconds;
    double windowsPerSecond = 400 / seconds;
    Console.WriteLine($"Occlusion 400 windows, perturbations per eval {(ppe?.ToString() ?? "auto")}: {seconds:F2} s, " +
                      $"{windowsPerSecond:F1} windows/s = {windowsPerSecond * forwardPerImage:P0} of plain batched forward (target ≥ 90%)");
    Report.PeakRss("after occlusion");
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
    var explainable = FluentAttrib.Models.ExplainableResNet.From(model);
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
