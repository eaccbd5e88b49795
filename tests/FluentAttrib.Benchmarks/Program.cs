using System.Diagnostics;
using FluentAttrib;
using FluentAttrib.Architectures;
using FluentAttrib.Pretrained;
using TorchSharp;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

// Throughput of FluentAttrib's methods as ratios to the plain batched forward (and forward + backward) pass of the same
// model, measured in the same process. Nothing here asserts a time.
//
//   dotnet run -c Release --project tests/FluentAttrib.Benchmarks [-- --quick] [--device cpu|cuda] [--case NAME] [--size PX]
//   dotnet run -c Release --project tests/FluentAttrib.Benchmarks -- --soak [N]   (RSS growth over N mixed attributions)
//
// Without --case, every case runs in its own child process (so that the peak RSS printed is that case's) and the
// parent relays their lines. --quick: only TorchSharp's resnet18 on 112×112 images, one repetition (a smoke check).
// --device: cuda by default when torch.cuda.is_available(), else cpu. --list prints the cases. --size: image side
// (default 224, 112 with --quick). MODEL/occlusion-forced (listed with --quick only): the incremental path whatever it saves.

// --soak [N] runs N mixed attributions (default 10,000) on a small CNN and prints the RSS growth, nothing else.
if (Array.IndexOf(args, "--soak") is int soakAt and >= 0)
{
    int soakCount = soakAt + 1 < args.Length && int.TryParse(args[soakAt + 1], out var n) ? n : 10_000;
    Soak.Run(soakCount);
    return 0;
}

var quick = args.Contains("--quick");
// --allocator default: leave glibc's malloc settings alone during attribution calls (TorchRuntime.KeepMemoryBetweenPasses).
if (Option("--allocator") == "default") TorchRuntime.KeepMemoryBetweenPasses = false;
var deviceName = Option("--device") ?? (cuda.is_available() ? "cuda" : "cpu");
var device = deviceName switch
{
    "cpu" => CPU,
    "cuda" => CUDA,
    _ => throw new ArgumentException($"--device must be cpu or cuda, not '{deviceName}'."),
};
string[] models = quick ? ["tv-resnet18"] : ["tv-resnet18", "tv-vgg16", "tv-mobilenet_v2", "x-resnet18", "x-vgg16"];
// At 112×112 (--quick) occlusion 45/9 saves too little to go incremental by default; occlusion-forced still runs that path.
string[] methods = ["occlusion", "occlusion-plain", .. quick ? new[] { "occlusion-forced" } : [], "ablation", "ablation-plain", "ig", "saliency", "gradcam", "deletion"];
// The CAMs with one pass per channel (resnet18's layer4: 512 channels), only on resnet18 (the other models' layers have
// more channels and would take minutes); --quick keeps AblationCAM, whose passes start at the layer.
string[] camCases = quick ? ["tv-resnet18/ablationcam"] : ["tv-resnet18/ablationcam", "tv-resnet18/scorecam"];
var cases = models.SelectMany(m => methods.Select(k => $"{m}/{k}")).Concat(camCases).Concat(quick ? ["story-lm"] : ["minilm", "story-lm"]).Concat(quick ? [] : OnnxCases.Names).ToArray();

if (args.Contains("--list"))
{
    foreach (var c in cases) Console.WriteLine(c);
    return 0;
}
if (Option("--case") is { } only) return RunCase(only);

Console.WriteLine($"FluentAttrib benchmark — {Environment.ProcessorCount} cores, device {deviceName}, {(quick ? "quick" : "full")} run, one process per case");
Console.WriteLine("Ratios: to the plain batched forward (no_grad; sustained throughput at its fastest batch size of 1, 4 or 16) or forward + backward of the same model in the same process.");
int failures = 0;
foreach (var c in cases)
{
    var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var a in new[] { "--case", c, "--device", deviceName }.Concat(quick ? ["--quick"] : []).Concat(Option("--allocator") is { } al ? ["--allocator", al] : [])) start.ArgumentList.Add(a);
    using var child = Process.Start(start)!;
    var stderr = child.StandardError.ReadToEndAsync();
    string? line;
    while ((line = child.StandardOutput.ReadLine()) is not null) Console.WriteLine(line);
    child.WaitForExit();
    if (child.ExitCode != 0)
    {
        failures++;
        Console.WriteLine($"{c}: FAILED (exit {child.ExitCode}) {stderr.Result.Split('\n').FirstOrDefault(l => l.Contains("Exception"))}");
    }
}
return failures == 0 ? 0 : 1;

int RunCase(string name)
{
    set_num_threads(Environment.ProcessorCount);
    if (name.StartsWith("onnx-", StringComparison.Ordinal)) return OnnxCases.Run(name, quick);
    if (name == "minilm") return MiniLm();
    if (name == "story-lm") return StoryLanguageModel();
    if (name == "alloc-probe")
    {
        int at = Array.IndexOf(args, "alloc-probe");
        var probed = Model(args[at + 1]).Model;
        probed.eval();
        return AllocationProbe.Run(probed, int.Parse(args[at + 2]), args.Length > at + 3 && args[at + 3] == "tuned");
    }
    var parts = name.Split('/');
    long size = Option("--size") is { } sizeText ? long.Parse(sizeText) : quick ? 112 : 224;
    int repeats = quick ? 1 : 3;
    torch.random.manual_seed(0);
    var (model, layer) = Model(parts[0]);
    model.to(device);
    model.eval();
    var image = randn(1, 3, size, size).to(device);

    // The references: the plain batched forward per image at its fastest batch size (1, 4 or 16 copies of the image;
    // on this class of CPU large images often run fastest in small batches), the same for forward + backward, and one
    // forward + backward of the single image.
    int[] referenceBatches = quick ? [4] : [1, 4, 16];
    (double PerImage, int Batch) Fastest(Func<int, double> perImage) =>
        referenceBatches.Select(b => (perImage(b), b)).MinBy(r => r.Item1);
    // Measured after the method, so that the peak RSS printed is the method's (the references' larger batches can
    // need more memory than the method itself). The batch size is chosen by its best run; the reference is then that
    // batch's sustained throughput over as many images as the method evaluated (at most about 8 s of them): a method
    // runs once through hundreds of passes, so it is compared with a plain forward doing the same, not with the plain
    // forward's single best run (printed too). Method and reference take the better of two rounds each (one with
    // --quick), alternating, as the issue timed Captum.
    void Forward(int b)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        Sync(model.call(image.expand(b, -1, -1, -1).contiguous()));
    }
    (double Wall, long Rss, double PerImage, string Text) MethodAndPlainForward(Action method, long images)
    {
        var wall = Timing.Once(method).Wall;
        long rss = Rss.Peak();
        // The plain forward gets the allocator settings a call runs with (unless --allocator default), so that only the
        // method's own work differs (glibc otherwise returns each pass's memory to the system and faults it in again).
        if (TorchRuntime.KeepMemoryBetweenPasses) AllocationProbe.KeepMemoryLikeACall();
        var (best, b) = Fastest(b => Timing.Best(() => Forward(b)) / b);
        long n = Math.Max(b, Math.Min(images, (long)(8 / best)));
        int passes = (int)((n + b - 1) / b);
        double Sustained() => Timing.Once(() => { for (int i = 0; i < passes; i++) Forward(b); }).Wall / (passes * b);
        double sustained = Sustained();
        if (!quick)
        {
            wall = Math.Min(wall, Timing.Once(method).Wall);
            if (TorchRuntime.KeepMemoryBetweenPasses) AllocationProbe.KeepMemoryLikeACall();
            sustained = Math.Min(sustained, Sustained());
        }
        return (wall, rss, sustained, $"the plain batched forward's sustained throughput (batch {b}, the fastest of {string.Join("/", referenceBatches)}: " +
                                      $"{sustained * 1000:F1} ms per image over {passes * b} images; its best single run {best * 1000:F1} ms per image)");
    }
    void OneForwardBackward(int n)
    {
        using var scope = NewDisposeScope();
        var x = image.expand(n, -1, -1, -1).contiguous().requires_grad_(true);
        var y = model.call(x)[.., 208].sum();
        Sync(autograd.grad([y], [x])[0]);
    }

    string what = $"{parts[0]} {size}×{size} {parts[1]}";
    var occlusion = Option("--per-pass") is { } perPassText
        ? Occlusion.Window(3, 45, 45).Stride(3, 9, 9).PerturbationsPerPass(int.Parse(perPassText))
        : Occlusion.Window(3, 45, 45).Stride(3, 9, 9);
    var cells = arange(size, device: device).div(16, rounding_mode: RoundingMode.floor);
    var mask = (cells.unsqueeze(1) * (size / 16) + cells.unsqueeze(0)).reshape(1, 1, size, size);
    var ablation = FeatureAblation.Default.Mask(mask);
    long windows = (long)Math.Pow((long)Math.Ceiling((size - 45) / 9.0) + 1, 2);
    long features = size / 16 * (size / 16);
    switch (parts[1])
    {
        case "occlusion" or "occlusion-plain" or "occlusion-forced":
        {
            // occlusion-forced: the incremental path whatever it saves (for measuring where it stops paying).
            var method = parts[1] switch
            {
                "occlusion" => occlusion,
                "occlusion-forced" => occlusion with { MinimumIncrementalGain = 0 },
                _ => occlusion.Incremental(false),
            };
            string description = "";
            // Warm-up (the code paths compiled, the model's kernels chosen): one window covering the whole image.
            using (var w = Explain(model).For(208).With(method.Window(3, size, size)).Attribute(image)) Sync(w.Value);
            var (t, rss, forward, plainForward) = MethodAndPlainForward(() => { using var a = Explain(model).For(208).With(method).Attribute(image); Sync(a.Value); description = a.Method; }, windows + 1);
            Print(what, $"Occlusion 45/9, {windows} windows: {t:F2} s = {forward * (windows + 1) / t:F2}× {plainForward}", description, rss);
            break;
        }
        case "ablation" or "ablation-plain":
        {
            var method = parts[1] == "ablation" ? ablation : ablation.Incremental(false);
            string description = "";
            // Warm-up: two features (left and right half).
            using (var w = Explain(model).For(208).With(method.Mask((arange(size, device: device) >= size / 2).to(ScalarType.Int64).reshape(1, 1, 1, size).expand(1, 1, size, size))).Attribute(image)) Sync(w.Value);
            var (t, rss, forward, plainForward) = MethodAndPlainForward(() => { using var a = Explain(model).For(208).With(method).Attribute(image); Sync(a.Value); description = a.Method; }, features + 1);
            Print(what, $"FeatureAblation, {features} superpixels of 16×16: {t:F2} s = {forward * (features + 1) / t:F2}× {plainForward}", description, rss);
            break;
        }
        case "ig":
        {
            var t = Timing.Measure(() => { using var a = Explain(model).For(208).With(IntegratedGradients.Steps(50)).Attribute(image); Sync(a.Value); }, repeats);
            long rss = Rss.Peak();
            var (reference, referenceBatch) = Fastest(b => Timing.Best(() => OneForwardBackward(b)) / b);
            Print(what, $"IntegratedGradients 50 steps: {t.Wall:F2} s = {reference * 50 / t.Wall:F2}× the plain batched forward + backward (fastest at batch {referenceBatch}: {reference * 1000:F1} ms per image)", "", rss);
            break;
        }
        case "saliency" or "gradcam":
        {
            // Tens of milliseconds each: the reference and the method alternate, and the medians are compared, so that a
            // pause of the machine does not land on one side only.
            void Attribute()
            {
                var explainer = Explain(model).For(208);
                using var a = parts[1] == "saliency" ? explainer.With(Saliency.Default).Attribute(image) : explainer.At(layer).With(LayerGradCam.Default).Attribute(image);
                Sync(a.Value);
            }
            var (reference, t) = Timing.Alternate(() => OneForwardBackward(1), Attribute, quick ? 3 : 21);
            Print(what, $"{(parts[1] == "saliency" ? "Saliency" : $"LayerGradCam at {layer}")}: {t * 1000:F0} ms = {t / reference:F2}× one plain forward + backward of the same image ({reference * 1000:F0} ms; medians of {(quick ? 3 : 21)} alternating runs)", "");
            break;
        }
        case "deletion":
        {
            // A 100-step deletion curve (RISE): 101 points from the image to the fully replaced one, evaluated in batches.
            int perStep = (int)Math.Ceiling(size * size / 100.0);
            int points = (int)Math.Ceiling(size * size / (double)perStep) + 1;
            var saliency = Explain(model).For(208).With(Saliency.Default).Attribute(image).Value.sum([1L], keepdim: true);
            Sync(Explain(model).For(208).Evaluate(Deletion.FeaturesPerStep(perStep), image, saliency)); // warm-up
            var (t, rss, forward, plainForward) = MethodAndPlainForward(() => Sync(Explain(model).For(208).Evaluate(Deletion.FeaturesPerStep(perStep), image, saliency)), points);
            Print(what, $"Deletion, {points} points ({perStep} pixels per step): {t:F2} s = {forward * points / t:F2}× {plainForward}", "", rss);
            break;
        }
        case "scorecam" or "ablationcam":
        {
            // One image, the model's CAM layer (resnet18: layer4, 512 channels): one pass per channel, batched. The
            // reference is as many images through the plain batched forward as the layer has channels.
            long channels = 0;
            using (var probe = Explain(model).For(208).At(layer).With(GradCam.Default.Output(CamOutput.Weights)).Attribute(image)) channels = probe.Value.shape[1];
            CamMethod method = parts[1] == "scorecam" ? ScoreCam.Default : AblationCam.Default;
            string description = "";
            void Cam() { using var a = Explain(model).For(208).At(layer).With(method).Attribute(image); Sync(a.Value); description = a.Method; }
            if (parts[1] == "ablationcam") Cam(); // warm-up (ScoreCAM's many passes warm themselves up)
            var (t, rss, forward, plainForward) = MethodAndPlainForward(Cam, channels);
            double reference = forward * channels;
            Print(what, $"{method.Name} at {layer} ({channels} channels): {t:F2} s = {t / reference:F3}× the time of {channels} images through {plainForward}",
                  description, rss);
            break;
        }
        default:
            throw new ArgumentException($"Unknown case '{name}'; --list prints them.");
    }
    return 0;
}

// The StoryAttribution sample's word-level GPT with its shipped weights: a 20-word prompt, 10 greedily generated
// words, FeatureAblation over the prompt words (Captum's LLMAttribution), as the sample runs it.
int StoryLanguageModel()
{
    var corpus = StoryAttribution.StoryCorpus.Load();
    using var model = StoryAttribution.Weights.Load(corpus);
    var input = new FluentAttrib.Text.TextTokenInput(StoryAttribution.StoryExplanation.DefaultPrompt(corpus), corpus.Tokenizer, baseline: "<unk>", skipTokens: ["<s>"]);
    var run = ExplainLanguageModel(model, corpus.Tokenizer).For(FluentAttrib.Text.TextTarget.Generation(10)).With(FeatureAblation.Default);
    int generated = 0;
    using (run.Attribute(input)) { } // warm-up
    var t = Timing.Measure(() => { using var r = run.Attribute(input); generated = r.OutputTokens.Count; }, quick ? 1 : 3);
    Print("story-lm", $"FeatureAblation over {input.FeatureCount} prompt words, {generated} generated words: {t.Wall:F2} s (issue 17's budget: 5 s)", "");
    return 0;
}

// The pretrained MiniLM sentence encoder: one LayerIntegratedGradients explanation (50 steps) of a 32-token sentence for
// its cosine similarity to a second sentence (issue 13's cost target: ≤ 2 s on 2 cores), and the attention-aware methods.
int MiniLm()
{
    var model = PretrainedMiniLM.Create();
    var tokenizer = PretrainedMiniLM.LoadTokenizer();
    model.to(device);
    const string a = "After a long day of meetings about the quarterly budget, the engineering team finally went out together " +
                     "for dinner at the small Italian restaurant near the old train station downtown.";
    const string b = "The engineers had dinner at an Italian place by the station after a day of budget meetings.";
    var ids = tensor(tokenizer.EncodeToIds(a).Take(31).Append(102).Select(i => (long)i).ToArray(), [1, 32]).to(device);
    var mask = ones_like(ids);
    using var eb = tokenizer.Encode(b);
    Tensor reference;
    using (no_grad()) reference = model.call(eb.Ids.to(device), eb.Mask.to(device));
    var target = Target.Score(e => nn.functional.cosine_similarity(e, reference.expand_as(e), dim: 1), "cosine");
    var baseline = zeros_like(ids);
    baseline[0, 0] = 101;
    baseline[0, 31] = 102;
    double ForwardBackward() => Timing.Measure(() =>
    {
        using var scope = NewDisposeScope();
        var e = model.call(ids.expand(50, -1).contiguous(), mask.expand(50, -1).contiguous());
        e.sum().backward();
    }, 3).Wall;
    model.zero_grad();
    double reference50 = ForwardBackward();
    model.zero_grad();
    var lig = LayerIntegratedGradients.Steps(50).Baseline(baseline);
    var t = Timing.Measure(() =>
    {
        using var attribution = Explain(model).For(target).At(ExplainableBert.WordEmbeddingsPath).With(lig).WithAdditionalArguments(mask).Attribute(ids);
        Sync(attribution.Value);
    }, 3);
    Print("MiniLM-L6 (pretrained) 32 tokens", $"LayerIntegratedGradients 50 steps on the word embeddings, cosine target: {t.Wall:F2} s " +
          $"(a plain forward + backward of the 50 path points as one batch: {reference50:F2} s)", "");
    foreach (var method in new AttributionMethod[] { AttentionRollout.Default.Readout(AttentionReadout.MeanOfTokens),
                 AttentionFlow.Default.Readout(AttentionReadout.MeanOfTokens), GradientWeightedRollout.Default.Readout(AttentionReadout.MeanOfTokens) })
    {
        var tm = Timing.Measure(() => { using var r = Explain(model).For(target).With(method).WithAdditionalArguments(mask).Attribute(ids); Sync(r.Value); }, 3);
        Print("MiniLM-L6 (pretrained) 32 tokens", $"{method.Describe()}: {tm.Wall * 1000:F0} ms", "");
    }
    var tl = Timing.Measure(() =>
    {
        using var r = Explain(model).For(target).AtInputOf("embeddings.LayerNorm").With(AttnLrp.Default).WithAdditionalArguments(mask).Attribute(ids);
        Sync(r.Value);
    }, 3);
    Print("MiniLM-L6 (pretrained) 32 tokens", $"AttnLRP: {tl.Wall * 1000:F0} ms", "");
    return 0;
}

(nn.Module<Tensor, Tensor> Model, string Layer) Model(string name) => name switch
{
    "tv-resnet18" => (torchvision.models.resnet18(), "layer4"),
    "tv-vgg16" => (torchvision.models.vgg16(), "features"),
    "tv-mobilenet_v2" => (torchvision.models.mobilenet_v2(), "features"),
    "x-resnet18" => (ExplainableResNet.From(torchvision.models.resnet18()), "layer4"),
    "x-vgg16" => (ExplainableVgg.Vgg16(), "features"),
    _ => throw new ArgumentException($"Unknown model '{name}'."),
};

void Print(string what, string figure, string description, long? peakRss = null)
{
    Console.WriteLine($"{what}: {figure}; peak RSS {(peakRss ?? Rss.Peak()) / 1048576.0:F0} MB");
    if (description.Length > 0) Console.WriteLine($"    {description}");
}

// One value read back, so that asynchronous devices have finished the work being timed.
static void Sync(Tensor t) => t.sum().to(ScalarType.Float64).cpu().item<double>();

string? Option(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

/// <summary>Wall-clock seconds.</summary>
readonly record struct Timing(double Wall)
{
    public static Timing Once(Action action)
    {
        var sw = Stopwatch.StartNew();
        action();
        return new Timing(sw.Elapsed.TotalSeconds);
    }

    public static Timing Measure(Action action, int repeats)
    {
        action(); // warm-up
        double total = 0;
        for (int i = 0; i < repeats; i++) total += Once(action).Wall;
        return new Timing(total / repeats);
    }

    /// <summary>
    /// The fastest of several runs of <paramref name="action"/> after two warm-up runs (the first runs of a shape pay for
    /// fresh memory pages and kernel set-up): at least 2 timed runs, then more while under 4 s in total, at most 8.
    /// </summary>
    public static double Best(Action action)
    {
        action();
        action();
        double best = double.MaxValue, total = 0;
        for (int i = 0; i < 8 && (i < 2 || total < 4); i++)
        {
            double t = Once(action).Wall;
            best = Math.Min(best, t);
            total += t;
        }
        return best;
    }

    /// <summary>Median wall-clock seconds of <paramref name="a"/> and of <paramref name="b"/>, run alternately
    /// <paramref name="repeats"/> times each after one warm-up of each.</summary>
    public static (double A, double B) Alternate(Action a, Action b, int repeats)
    {
        a();
        b();
        var ta = new double[repeats];
        var tb = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            ta[i] = Once(a).Wall;
            tb[i] = Once(b).Wall;
        }
        Array.Sort(ta);
        Array.Sort(tb);
        return (ta[repeats / 2], tb[repeats / 2]);
    }
}

static class Rss
{
    public static long Peak()
    {
        if (!File.Exists("/proc/self/status")) return 0;
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        return 0;
    }
}
