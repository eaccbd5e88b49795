using System.Globalization;
using FluentAttrib.Samples;
using Microsoft.ML.OnnxRuntime;

namespace OnnxImage;

/// <summary>The command line: parses the options, runs the demo, writes the figures, returns the exit code.</summary>
internal static class Cli
{
    public const string Usage = """
        Usage: dotnet run --project samples/OnnxImage [-- options]

        Explains an ONNX image classifier run by ONNX Runtime (FluentAttrib.Onnx): the probability of one class,
        with Occlusion, RISE and KernelShap over SLIC superpixels, one PNG per method plus a summary
        (FluentAttrib.Plotting). By default: ML.NET's ImageNet-pretrained ResNet18 backbone (ONNX, fixed batch 1),
        with the quick start's dog / cat / other animal / object head applied after the session, on the quick
        start's photo of a dog and a cat (stretched to 224×224).

        Options:
          --model FILE       an ONNX image classifier: its first 4-D input (N, 3, H, W) and its first output
                             (logits) are used (default: the ResNet18 backbone + head described above)
          --image FILE       photo to explain (default: images/dog_cat.jpg)
          --target CLASS     class to explain, by name or index (default: the top class)
          --normalize MODE   input scaling for --model: imagenet ((x/255 − mean)/std, the default), unit (x/255)
                             or none (0–255)
          --out DIR          folder for the figures (default: ./out)
          --masks N          RISE masks (default: 600)
          --samples N        KernelShap coalitions (default: 300)
          --superpixels N    about how many SLIC superpixels KernelShap explains (default: 60)
          --window PX        Occlusion window side (default: 32; stride half of it)
          --svg              also write each figure as SVG
          --device NAME      cpu or cuda: where the TorchSharp tensors (image, perturbed copies, head) live
                             (default: cuda when TorchSharp reports it available, else cpu); ONNX Runtime
                             itself runs on the CPU
          --help             show this text

        Exit codes: 0 done; 1 an input could not be used (model, image, output folder); 2 a wrong option.
        """;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        DemoOptions options;
        string outDir = "out";
        try
        {
            (options, outDir, bool help) = Parse(args);
            if (help)
            {
                stdout.WriteLine(Usage);
                return 0;
            }
        }
        catch (UsageException e)
        {
            stderr.WriteLine(e.Message);
            stderr.WriteLine("Run with --help for the options.");
            return 2;
        }
        try
        {
            var result = Demo.Run(options, stdout);
            string full = Path.GetFullPath(outDir);
            Directory.CreateDirectory(full);
            foreach (var figure in result.Figures)
            {
                string path = Path.Combine(full, figure.Name);
                File.WriteAllBytes(path + ".tmp", figure.Content);
                File.Move(path + ".tmp", path, overwrite: true);
                stdout.WriteLine($"wrote {path}");
            }
            return 0;
        }
        catch (UsageException e)
        {
            stderr.WriteLine(e.Message);
            return 2;
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException or ArgumentException or OnnxRuntimeException
                                      or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    private static (DemoOptions Options, string Out, bool Help) Parse(string[] args)
    {
        var o = new DemoOptions();
        string outDir = "out";
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{args[i]} needs a value.");
            int Count(int min)
            {
                string name = args[i], v = Value();
                return int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= min
                    ? n : throw new UsageException($"{name} takes a whole number of at least {min}, not '{v}'.");
            }
            switch (args[i])
            {
                case "--help" or "-h": return (o, outDir, true);
                case "--model": o = o with { Model = Value() }; break;
                case "--image": o = o with { Image = Value() }; break;
                case "--target": o = o with { Target = Value() }; break;
                case "--normalize":
                    string mode = Value();
                    if (mode is not ("imagenet" or "unit" or "none")) throw new UsageException($"--normalize takes imagenet, unit or none, not '{mode}'.");
                    o = o with { Normalize = mode };
                    break;
                case "--out": outDir = Value(); break;
                case "--masks": o = o with { RiseMasks = Count(1) }; break;
                case "--samples": o = o with { KernelShapSamples = Count(2) }; break;
                case "--superpixels": o = o with { Superpixels = Count(2) }; break;
                case "--window":
                    int w = Count(2);
                    o = o with { OcclusionWindow = w, OcclusionStride = Math.Max(1, w / 2) };
                    break;
                case "--svg": o = o with { Svg = true }; break;
                case "--device":
                    string device = Value();
                    if (!DeviceOption.IsValid(device)) throw new UsageException($"--device takes cpu or cuda, not '{device}'.");
                    o = o with { Device = device };
                    break;
                default: throw new UsageException($"Unknown option '{args[i]}'.");
            }
        }
        return (o, outDir, false);
    }
}
