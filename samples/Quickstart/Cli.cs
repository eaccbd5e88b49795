using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using FluentAttrib;
using FluentAttrib.Pretrained.Onnx;

namespace Quickstart;

/// <summary>The command line: parses the options, runs the explanation (or <c>fit-head</c>) and returns the exit code.</summary>
internal static class Cli
{
    /// <summary>Exit code of a run that failed on its input (image, weights, head, output folder).</summary>
    public const int InputError = 1;

    /// <summary>Exit code of a wrong command line (unknown option, bad value, unknown class).</summary>
    public const int UsageError = 2;

    public const string Usage = """
        Usage: dotnet run --project samples/Quickstart [-- options]
               dotnet run --project samples/Quickstart -- fit-head [--photos DIR] [--head FILE]

        Explains the decisions of an ImageNet-pretrained ResNet18 (ML.NET's ONNX backbone, imported into TorchSharp)
        with a four-class head fitted on the sample's photos (dog, cat, other animal, object or scene): for each
        target class, Occlusion, Grad-CAM on layer4 and Integrated Gradients with SmoothGrad, drawn with
        FluentAttrib.Plotting, one PNG per method and class plus a summary per class.

        Options:
          --image FILE     photo to explain (default: the sample's images/dog_cat.jpg, a dog and a cat side by side)
          --target LIST    classes to explain, by name or index, comma-separated (default: dog,cat; with
                           --weights: 208,283, i.e. Labrador retriever and Persian cat)
          --out DIR        folder for the figures (default: ./out); written only once every method has succeeded
          --head FILE      head weights (default: the shipped head.bin)
          --weights FILE   explain TorchVision's resnet18 with torchvision's ImageNet weights instead: the state dict
                           saved by torch.save(resnet18(weights="IMAGENET1K_V1").state_dict(), FILE)
          --steps N        Integrated Gradients steps per SmoothGrad sample (default: 16)
          --samples N      SmoothGrad samples (default: 4)
          --size PX        height the photo is scaled to, 64 or more (default: 224; at most twice as wide,
                           centre-cropped)
          --device NAME    cpu or cuda: where the network runs (default: cuda when TorchSharp reports it
                           available, else cpu)
          --svg            also write each figure as SVG
          --help           show this text

        Exit codes: 0 done; 1 an input could not be used (image, weights, head, output folder); 2 a wrong option
        or an unknown class.

        fit-head refits the head on the training photos (default: the sample's train/ folder) and writes it to
        head.bin in the sample's folder (or FILE); the shipped head.bin was made this way.
        """;

    /// <summary>The shipped composites: which animal is on which side.</summary>
    private static readonly Dictionary<string, (string Left, string Right)> Composites = new(StringComparer.OrdinalIgnoreCase)
    {
        ["dog_cat.jpg"] = ("dog", "cat"),
        ["cat_dog.jpg"] = ("cat", "dog"),
    };

    /// <summary>Runs the command line; <paramref name="interactive"/> draws progress bars in place.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, bool interactive)
    {
        try
        {
            if (args.Length > 0 && args[0] == "fit-head") return FitHeadCommand(args[1..], stdout);
            var options = Options.Parse(args);
            if (options.Help)
            {
                stdout.WriteLine(Usage);
                return 0;
            }
            return Explain(options, stdout, interactive);
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            stderr.WriteLine("Run with --help for the options.");
            return UsageError;
        }
        catch (Exception e) when (e is TorchSharpLoadException or WeightsException or OutputException or OnnxImportException
                                      or IOException or UnauthorizedAccessException or InvalidDataException)
        {
            stderr.WriteLine($"error: {e.Message}");
            return InputError;
        }
    }

    private static int Explain(Options options, TextWriter stdout, bool interactive)
    {
        var total = Stopwatch.StartNew();
        string outDir = FigureFolder.Check(options.Out);
        TorchRuntime.EnsureLoaded();

        // Everything that can be wrong with the command line or the inputs is found before any attribution runs.
        Head? head = null;
        IReadOnlyList<string> classes;
        if (options.Weights is null)
        {
            head = LoadHead(options.Head);
            classes = head.Classes;
        }
        else
        {
            classes = ImageNetResNet18.LoadClassNames();
        }
        string[] requested = options.Targets ?? (options.Weights is null ? ["dog", "cat"] : ["208", "283"]);
        int[] targets = [.. requested.Select(classes.Resolve).Distinct()];

        using var photo = Photo.Load(options.Image, options.Size);
        var clock = Stopwatch.StartNew();
        using IClassifier network = options.Weights is null ? Network.Load(head!) : ImageNetResNet18.Load(options.Weights, classes);
        try
        {
            network.MoveTo(FluentAttrib.Samples.DeviceOption.Resolve(options.Device));
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        stdout.WriteLine($"Model: {network.Description} (loaded in {clock.Elapsed.TotalSeconds:F1} s, runs on {network.Device.type})");
        string shown = options.Image == Options.DefaultImage ? "images/dog_cat.jpg (the sample's default)" : options.Image;
        stdout.WriteLine($"Image: {shown} ({photo.Picture.Width}×{photo.Picture.Height} as the network sees it)");

        var top = network.Top(photo.Rgb, Math.Min(5, classes.Count));
        stdout.WriteLine("Top predictions:");
        foreach (var (k, p) in top) stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {p,7:P1}  {k,4}  {classes[k]}"));

        var settings = new ExplainSettings { IgSteps = options.Steps, NoiseSamples = options.Samples, Svg = options.Svg };
        string stem = Path.GetFileNameWithoutExtension(options.Image);
        var result = Explanation.Run(network, photo, stem, targets, settings, stdout, () => new ConsoleProgressBar(stdout, interactive));

        var paths = FigureFolder.WriteAll(outDir, result.Figures);
        stdout.WriteLine("Figures:");
        foreach (var path in paths) stdout.WriteLine($"  {path}");

        PrintWhereTheEvidenceIs(stdout, network, Path.GetFileName(options.Image), targets, result.Runs);
        var seconds = result.Runs.GroupBy(r => r.Method).Select(g => $"{g.Key} {g.Sum(r => r.Elapsed.TotalSeconds):F1} s");
        stdout.WriteLine($"Time: {total.Elapsed.TotalSeconds:F0} s in all ({string.Join(", ", seconds)}).");
        stdout.WriteLine($"Output folder: {outDir}");
        return 0;
    }

    /// <summary>On a shipped composite, the share of each method's positive mass on the half showing the class's animal.</summary>
    private static void PrintWhereTheEvidenceIs(TextWriter stdout, IClassifier network, string file, int[] targets, IReadOnlyList<MethodRun> runs)
    {
        if (!Composites.TryGetValue(file, out var layout)) return;
        var checkable = targets.Where(k => network.AnimalOf(k) is "dog" or "cat").ToArray();
        if (checkable.Length == 0) return;
        stdout.WriteLine($"Share of the positive attribution on the correct half ({layout.Left} on the left, {layout.Right} on the right):");
        stdout.WriteLine($"  {"",-16}" + string.Concat(checkable.Select(k => $" {Clip(network.Classes[k]),20}")));
        foreach (var method in runs.Select(r => r.Method).Distinct())
        {
            var cells = checkable.Select(k =>
            {
                var run = runs.Single(r => r.Method == method && r.Class == k);
                double share = network.AnimalOf(k) == layout.Left ? run.LeftShare : 1 - run.LeftShare;
                return $" {Explanation.Percent(share),20}";
            });
            stdout.WriteLine($"  {method,-16}" + string.Concat(cells));
        }
        stdout.WriteLine("  A positive occlusion value on the other animal means hiding that part lowered this class's score too:");
        stdout.WriteLine("  Occlusion shows cross-talk between the halves, where Grad-CAM keeps each class on its animal.");

        static string Clip(string s) => s.Length <= 20 ? s : s[..19] + "…";
    }

    private static Head LoadHead(string path)
    {
        try
        {
            return Head.Load(path);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"Cannot read the head: {e.Message}", e);
        }
    }

    private static int FitHeadCommand(string[] args, TextWriter stdout)
    {
        string photos = Path.Combine(AppContext.BaseDirectory, "train");
        string? projectDir = typeof(Head).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "Quickstart.ProjectDirectory")?.Value;
        string headPath = projectDir is not null && Directory.Exists(projectDir) ? Path.Combine(projectDir, "head.bin") : "head.bin";
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--photos" when i + 1 < args.Length: photos = args[++i]; break;
                case "--head" when i + 1 < args.Length: headPath = args[++i]; break;
                default: throw new UsageException($"Unknown or incomplete fit-head option '{args[i]}'.");
            }
        }
        TorchRuntime.EnsureLoaded();
        stdout.WriteLine($"Fitting the head on the photos in {Path.GetFullPath(photos)} (seed {FitHead.Seed}, {FitHead.Steps} Adam steps):");
        var result = FitHead.Fit(photos, stdout);
        stdout.WriteLine($"Training accuracy: {result.CropAccuracy:P1} of {result.Crops} crops, {result.PhotoAccuracy:P1} of {result.Photos} whole photos ({result.Elapsed.TotalSeconds:F0} s)");

        using var network = Network.Load(result.Head);
        foreach (var (file, (left, right)) in Composites)
        {
            string path = Path.Combine(AppContext.BaseDirectory, "images", file);
            if (!File.Exists(path)) continue;
            using var photo = Photo.Load(path);
            var (l, r) = Cam.CorrectHalfFractions(network, photo.Rgb, result.Head.IndexOf(left), result.Head.IndexOf(right), nearest: true);
            var (lb, rb) = Cam.CorrectHalfFractions(network, photo.Rgb, result.Head.IndexOf(left), result.Head.IndexOf(right), nearest: false);
            using var p = network.Probabilities(photo.Rgb);
            var probs = p[0].data<float>().ToArray();
            stdout.WriteLine($"{file}: p = {string.Join(", ", result.Head.Classes.Select((c, k) => $"{c} {probs[k]:F2}"))}");
            stdout.WriteLine($"  CAM positive mass on the correct half: {left} (left) {l:P1}, {right} (right) {r:P1} " +
                             $"(layer4 cells; bilinearly upsampled: {lb:P1}, {rb:P1})");
        }
        result.Head.Save(headPath);
        stdout.WriteLine($"Head written to {Path.GetFullPath(headPath)}");
        return 0;
    }
}

/// <summary>The explain command's options.</summary>
internal sealed record Options
{
    public static string DefaultImage => Path.Combine(AppContext.BaseDirectory, "images", "dog_cat.jpg");

    public string Image { get; init; } = DefaultImage;
    public string Out { get; init; } = "out";
    public string Head { get; init; } = Path.Combine(AppContext.BaseDirectory, "head.bin");
    public string? Weights { get; init; }
    public string[]? Targets { get; init; }
    public int Steps { get; init; } = new ExplainSettings().IgSteps;
    public int Samples { get; init; } = new ExplainSettings().NoiseSamples;
    public int Size { get; init; } = Photo.Size;
    public bool Svg { get; init; }
    public string? Device { get; init; }
    public bool Help { get; init; }

    /// <exception cref="UsageException">An unknown option, a missing or bad value.</exception>
    public static Options Parse(IReadOnlyList<string> args)
    {
        var o = new Options();
        bool headGiven = false;
        for (int i = 0; i < args.Count; i++)
        {
            string option = args[i];
            string Value() => i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal)
                ? args[++i]
                : throw new UsageException($"{option} needs a value.");
            int Number(int min, int max)
            {
                string text = Value();
                return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= min && n <= max
                    ? n
                    : throw new UsageException($"{option} takes a whole number from {min} to {max}, not '{text}'.");
            }
            string DeviceName()
            {
                string text = Value();
                return FluentAttrib.Samples.DeviceOption.IsValid(text) ? text : throw new UsageException($"--device takes cpu or cuda, not '{text}'.");
            }
            o = option switch
            {
                "--help" or "-h" => o with { Help = true },
                "--image" => o with { Image = Value() },
                "--out" => o with { Out = Value() },
                "--head" => (headGiven = true, o with { Head = Value() }).Item2,
                "--weights" => o with { Weights = Value() },
                "--target" => o with { Targets = SplitTargets(Value()) },
                "--steps" => o with { Steps = Number(1, 1000) },
                "--samples" => o with { Samples = Number(1, 1000) },
                "--size" => o with { Size = Number(64, 2048) }, // at least Occlusion's 45-px window and two layer4 cells
                "--svg" => o with { Svg = true },
                "--device" => o with { Device = DeviceName() },
                _ => throw new UsageException($"Unknown option '{option}'."),
            };
        }
        if (headGiven && o.Weights is not null) throw new UsageException("--head and --weights exclude each other: --weights explains ImageNet's 1000 classes.");
        return o;
    }

    private static string[] SplitTargets(string text)
    {
        var targets = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return targets.Length > 0 ? targets : throw new UsageException("--target needs at least one class.");
    }
}
