using System.Xml.Linq;
using SkiaSharp;
using TorchSharp;
using TorchSharp.PyBridge;
using Xunit;
using Xunit.Abstractions;

namespace Quickstart.Tests;

/// <summary>
/// The sample's command line end to end, in process, on small pictures (--size) and few steps so each run takes
/// seconds: the figures it writes, what it prints, the --weights path with generated state dicts, and bad input.
/// </summary>
public sealed class CliTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("quickstart-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Image(string name) => Path.Combine(AppContext.BaseDirectory, "images", name);

    private string OutDir => Path.Combine(_dir, "out");

    /// <summary>Cheap settings: a 96-px-high picture, 2 IG steps, 2 SmoothGrad samples.</summary>
    private static readonly string[] Fast = ["--size", "96", "--steps", "2", "--samples", "2"];

    private (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Cli.Run(args, stdout, stderr, interactive: false);
        output.WriteLine($"$ quickstart {string.Join(' ', args)}  → exit {code}");
        output.WriteLine(stdout.ToString());
        output.WriteLine(stderr.ToString());
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void The_default_recipe_writes_every_figure_and_reports_each_method()
    {
        var (code, stdout, stderr) = Run([.. Fast, "--svg", "--out", OutDir]);

        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        Assert.Contains("Top predictions:", stdout);
        Assert.Matches(@"\d+\.\d %\s+0\s+dog", stdout);
        Assert.Contains("Image: images/dog_cat.jpg (the sample's default) (192×96 as the network sees it)", stdout);
        // A progress line per long method and class (only finished lines when not on a terminal).
        Assert.Equal(2, CountLines(stdout, "Occlusion        [##############################]"));
        Assert.Equal(2, CountLines(stdout, "NoiseTunnel      [##############################] 2/2"));
        foreach (var method in new[] { "Occlusion", "LayerGradCam", "IG + SmoothGrad" })
            Assert.Matches($@"  {System.Text.RegularExpressions.Regex.Escape(method)} +\d+\.\d s   positive mass: left half", stdout);
        Assert.Contains("Share of the positive attribution on the correct half (dog on the left, cat on the right):", stdout);
        Assert.Contains($"Output folder: {OutDir}", stdout);

        var expected = new[] { "dog", "cat" }
            .SelectMany(c => new[] { "occlusion", "gradcam", "ig_smoothgrad", "summary" }.Select(m => $"dog_cat_{c}_{m}"))
            .ToArray();
        Assert.Equal(
            expected.SelectMany(n => new[] { n + ".png", n + ".svg" }).Order(),
            Directory.GetFiles(OutDir).Select(Path.GetFileName).Order());
        foreach (var name in expected)
        {
            string png = Path.Combine(OutDir, name + ".png");
            Assert.Contains(png, stdout);
            using var bitmap = SKBitmap.Decode(png);
            Assert.NotNull(bitmap);
            Assert.Equal(name.EndsWith("summary") ? 1200 : 1000, bitmap.Width);
            Assert.True(HasColour(bitmap), $"{name}.png has no coloured pixel");
            var svg = XDocument.Load(Path.Combine(OutDir, name + ".svg"));
            Assert.Equal("svg", svg.Root!.Name.LocalName);
        }
    }

    [Fact]
    public void Classes_are_picked_by_name_or_index_and_another_photo_can_be_explained()
    {
        var (code, stdout, _) = Run([.. Fast, "--image", Image("chelsea.jpg"), "--target", "1, Other Animal", "--out", OutDir]);

        Assert.Equal(0, code);
        Assert.Contains("Class 1 'cat':", stdout);
        Assert.Contains("Class 2 'other animal':", stdout);
        Assert.DoesNotContain("correct half", stdout); // only the shipped composites say where each animal is
        Assert.True(File.Exists(Path.Combine(OutDir, "chelsea_other_animal_gradcam.png")));
        Assert.Equal(8, Directory.GetFiles(OutDir).Length);
    }

    [Fact]
    public void Weights_load_a_generated_torchvision_state_dict_and_print_imagenet_labels()
    {
        // The format and names of torchvision's resnet18 state dict, as torch.save writes it (a zip with data.pkl).
        string weights = Path.Combine(_dir, "resnet18.pth");
        torch.manual_seed(7);
        using (var model = torchvision.models.resnet18())
            model.save_py(weights);

        var (code, stdout, stderr) = Run([.. Fast, "--weights", weights, "--out", OutDir]);

        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        Assert.Contains("resnet18 (TorchVision's, as an ExplainableResNet) with the ImageNet weights of resnet18.pth", stdout);
        var labels = ImageNetResNet18.LoadClassNames();
        var topLines = stdout.Split('\n').SkipWhile(l => !l.StartsWith("Top predictions:")).Skip(1).Take(5).ToArray();
        Assert.All(topLines, line => Assert.Matches(@"^\s+\d+\.\d %\s+\d+\s+\S", line));
        Assert.All(topLines, line => Assert.Contains(labels[int.Parse(line.Split("%")[1].Trim().Split(' ')[0])], line));
        Assert.Contains("Class 208 'Labrador retriever':", stdout);
        Assert.Contains("Class 283 'Persian cat':", stdout);
        Assert.Contains("Share of the positive attribution on the correct half", stdout);
        foreach (var m in new[] { "occlusion", "gradcam", "ig_smoothgrad", "summary" })
        {
            using var a = SKBitmap.Decode(Path.Combine(OutDir, $"dog_cat_labrador_retriever_{m}.png"));
            using var b = SKBitmap.Decode(Path.Combine(OutDir, $"dog_cat_persian_cat_{m}.png"));
            Assert.NotNull(a);
            Assert.NotNull(b);
        }
    }

    [Fact]
    public void The_state_dict_is_loaded_exactly()
    {
        string weights = Path.Combine(_dir, "resnet18.pth");
        torch.manual_seed(11);
        using var saved = torchvision.models.resnet18();
        saved.save_py(weights);

        using var loaded = ImageNetResNet18.Load(weights, ImageNetResNet18.LoadClassNames());
        var expected = saved.state_dict();
        var actual = loaded.Model.state_dict();
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, tensor) in expected)
            Assert.True(tensor.equal(actual[name]).all().item<bool>(), $"{name} differs after loading");
    }

    [Fact]
    public void Weights_of_the_wrong_shape_are_refused_and_nothing_is_written()
    {
        string weights = Path.Combine(_dir, "resnet18_10.pth");
        using (var model = torchvision.models.resnet18(num_classes: 10))
            model.save_py(weights);

        var (code, stdout, stderr) = Run([.. Fast, "--weights", weights, "--out", OutDir]);

        Assert.Equal(Cli.InputError, code);
        Assert.Contains("is not the state dict of TorchVision's resnet18 with 1000 classes", stderr);
        Assert.Contains("'fc.weight' is [10, 512], resnet18's is [1000, 512]", stderr);
        Assert.Contains("'fc.bias' is [10]", stderr);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("Top predictions", stdout);
        Assert.False(Directory.Exists(OutDir));
    }

    [Fact]
    public void Weights_of_another_network_are_refused_with_the_names_that_do_not_fit()
    {
        string weights = Path.Combine(_dir, "resnet34.pth");
        using (var model = torchvision.models.resnet34())
            model.save_py(weights);

        var (code, _, stderr) = Run([.. Fast, "--weights", weights, "--out", OutDir]);

        Assert.Equal(Cli.InputError, code);
        Assert.Contains("'layer1.2.bn1.bias' is not in resnet18", stderr);
        Assert.Contains("more", stderr);
        Assert.False(Directory.Exists(OutDir));
    }

    [Theory]
    [InlineData("photo")]   // a JPEG, not a zip
    [InlineData("empty")]
    [InlineData("missing")]
    public void A_file_that_is_not_a_state_dict_is_refused(string kind)
    {
        string weights = Path.Combine(_dir, "weights.pth");
        if (kind == "photo") File.Copy(Image("chelsea.jpg"), weights);
        if (kind == "empty") File.WriteAllBytes(weights, []);

        var (code, _, stderr) = Run([.. Fast, "--weights", weights, "--out", OutDir]);

        Assert.Equal(Cli.InputError, code);
        Assert.StartsWith("error: ", stderr);
        Assert.Contains(kind == "missing" ? "There is no weights file" : "is not a PyTorch state dict", stderr);
        Assert.False(Directory.Exists(OutDir));
    }

    [Fact]
    public void A_missing_image_is_one_clear_message_and_nothing_is_written()
    {
        string missing = Path.Combine(_dir, "no_such_photo.jpg");
        var (code, stdout, stderr) = Run([.. Fast, "--image", missing, "--out", OutDir]);

        Assert.Equal(Cli.InputError, code);
        Assert.Equal($"error: There is no file {missing}.", stderr.Trim());
        Assert.Equal("", stdout);
        Assert.False(Directory.Exists(OutDir));
    }

    [Theory]
    [InlineData("text")]
    [InlineData("empty")]
    [InlineData("truncated")]
    public void An_unreadable_image_is_refused(string kind)
    {
        string path = Path.Combine(_dir, "photo.jpg");
        switch (kind)
        {
            case "text": File.WriteAllText(path, "not a picture"); break;
            case "empty": File.WriteAllBytes(path, []); break;
            default: File.WriteAllBytes(path, File.ReadAllBytes(Image("chelsea.jpg"))[..200]); break;
        }

        var (code, _, stderr) = Run([.. Fast, "--image", path, "--out", OutDir]);

        Assert.Equal(Cli.InputError, code);
        Assert.Contains(path, stderr);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.False(Directory.Exists(OutDir));
    }

    [Theory]
    [InlineData("horse", "Unknown class 'horse'. The classes are: dog, cat, other animal, object or scene")]
    [InlineData("4", "Class index 4 is out of range: the network has 4 classes (0–3).")]
    public void An_unknown_class_is_a_usage_error(string target, string message)
    {
        var (code, stdout, stderr) = Run([.. Fast, "--target", $"dog,{target}", "--out", OutDir]);

        Assert.Equal(Cli.UsageError, code);
        Assert.Contains(message, stderr);
        Assert.Equal("", stdout);
        Assert.False(Directory.Exists(OutDir));
    }

    [Fact]
    public void An_unknown_imagenet_class_lists_the_near_names()
    {
        string weights = Path.Combine(_dir, "resnet18.pth");
        using (var model = torchvision.models.resnet18())
            model.save_py(weights);

        var (code, _, stderr) = Run([.. Fast, "--weights", weights, "--target", "retriever dog", "--out", OutDir]);
        Assert.Equal(Cli.UsageError, code);
        Assert.Contains("Unknown class 'retriever dog'. Give one of the 1000 class names or an index 0–999.", stderr);

        (code, _, stderr) = Run([.. Fast, "--weights", weights, "--target", "retriever", "--out", OutDir]);
        Assert.Equal(Cli.UsageError, code);
        Assert.Contains("207 golden retriever, 208 Labrador retriever", stderr);
        Assert.False(Directory.Exists(OutDir));
    }

    [Theory]
    [InlineData("--frobnicate")]
    [InlineData("--steps", "0")]
    [InlineData("--size", "big")]
    [InlineData("--size", "40")]   // smaller than Occlusion's window
    [InlineData("--image")]
    [InlineData("--head", "h.bin", "--weights", "w.pth")]
    public void A_wrong_command_line_is_a_usage_error(params string[] args)
    {
        var (code, stdout, stderr) = Run([.. args, "--out", OutDir]);

        Assert.Equal(Cli.UsageError, code);
        Assert.StartsWith("error: ", stderr);
        Assert.Equal("", stdout);
        Assert.False(Directory.Exists(OutDir));
    }

    [Fact]
    public void An_output_path_that_is_a_file_is_refused_before_any_work()
    {
        File.WriteAllText(OutDir, "a file");
        var (code, stdout, stderr) = Run([.. Fast, "--out", OutDir]);

        Assert.Equal(Cli.InputError, code);
        Assert.Contains("is a file", stderr);
        Assert.Equal("", stdout);
    }

    [Fact]
    public void Help_prints_the_options()
    {
        var (code, stdout, _) = Run("--help");
        Assert.Equal(0, code);
        foreach (var option in new[] { "--image", "--target", "--out", "--weights", "--steps", "--samples", "--size", "--svg", "--help", "fit-head" })
            Assert.Contains(option, stdout);
    }

    private static int CountLines(string text, string start) =>
        text.Split('\n').Count(l => l.TrimStart().StartsWith(start.TrimStart(), StringComparison.Ordinal));

    private static bool HasColour(SKBitmap bitmap)
    {
        for (int y = 0; y < bitmap.Height; y += 3)
            for (int x = 0; x < bitmap.Width; x += 3)
            {
                var c = bitmap.GetPixel(x, y);
                if (Math.Abs(c.Red - c.Green) > 40 || Math.Abs(c.Green - c.Blue) > 40) return true;
            }
        return false;
    }
}
