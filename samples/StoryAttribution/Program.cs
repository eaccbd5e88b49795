using System.Reflection;
using FluentAttrib.Samples;
using TorchSharp;

namespace StoryAttribution;

/// <summary>
/// Which words of a prompt make a small language model continue it the way it does?
/// <code>
///   dotnet run --project samples/StoryAttribution                  explain with the shipped weights
///   dotnet run --project samples/StoryAttribution -- train         retrain (seeded, reproducible), save, explain
///   dotnet run --project samples/StoryAttribution -- --prompt "..." --out DIR
///   dotnet run --project samples/StoryAttribution -- --device cpu   where the model runs (default: cuda when available)
/// </code>
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        bool train = false;
        string? prompt = null;
        string output = "story-figures";
        string? deviceName = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "train": train = true; break;
                case "--prompt" when i + 1 < args.Length: prompt = args[++i]; break;
                case "--out" when i + 1 < args.Length: output = args[++i]; break;
                case "--device" when i + 1 < args.Length:
                    deviceName = args[++i];
                    if (!DeviceOption.IsValid(deviceName))
                    {
                        Console.Error.WriteLine($"error: --device takes cpu or cuda, not '{deviceName}'.");
                        return 2;
                    }
                    break;
                default:
                    Console.Error.WriteLine($"usage: StoryAttribution [train] [--prompt TEXT] [--out DIR] [--device cpu|cuda]\n  {DeviceOption.Help}");
                    return 2;
            }
        }

        FluentAttrib.TorchRuntime.EnsureLoaded();
        TorchSharp.torch.Device device;
        try
        {
            device = DeviceOption.Resolve(deviceName);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }

        var corpus = StoryCorpus.Load();
        StoryModel model;
        if (train)
        {
            Console.WriteLine($"Training a {StoryModel.Layers}-layer word-level GPT ({StoryModel.Dim}-d, {StoryModel.Heads} heads, {StoryModel.Context} tokens of context) " +
                              $"on {corpus.Sentences.Count} Austen sentences, vocabulary {corpus.Tokenizer.Vocabulary.Count} words ...");
            model = StoryTrainer.Train(corpus, Console.Out, device: device);
            string project = typeof(StoryModel).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == "StoryAttribution.ProjectDirectory")?.Value ?? AppContext.BaseDirectory;
            foreach (var dir in new[] { project, AppContext.BaseDirectory }.Distinct())
                if (Directory.Exists(dir)) model.save(Path.Combine(dir, Weights.FileName));
            Console.WriteLine($"Saved the weights to {Path.Combine(project, Weights.FileName)}.");
        }
        else
        {
            model = Weights.Load(corpus);
            model.to(device);
        }

        using (model)
        using (var result = StoryExplanation.Run(model, corpus, prompt ?? StoryExplanation.DefaultPrompt(corpus), Console.Out))
        {
            string dir = Path.GetFullPath(output);
            Directory.CreateDirectory(dir);
            foreach (var (name, bytes) in result.Figures)
            {
                File.WriteAllBytes(Path.Combine(dir, name), bytes);
                Console.WriteLine($"Wrote {Path.Combine(dir, name)}");
            }
        }
        return 0;
    }
}

/// <summary>The shipped weights (story-model.bin, TorchSharp's format), written by <c>train</c>.</summary>
internal static class Weights
{
    public const string FileName = "story-model.bin";

    public static StoryModel Load(StoryCorpus corpus, string? path = null)
    {
        path ??= Path.Combine(AppContext.BaseDirectory, FileName);
        if (!File.Exists(path))
            throw new FileNotFoundException($"No weights at {path}; run the sample with the argument 'train' to train them.", path);
        var model = new StoryModel(corpus.Tokenizer.Vocabulary.Count);
        model.load(path);
        model.eval();
        return model;
    }
}
