using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace StoryAttribution;

/// <summary>Trains <see cref="StoryModel"/> on random windows of the corpus stream, with fixed seeds.</summary>
internal static class StoryTrainer
{
    public const int Steps = 800, Batch = 32, Seed = 0;

    /// <summary>Trains a model from seeded weights on <paramref name="device"/> (default CPU); the weights stay there.</summary>
    public static StoryModel Train(StoryCorpus corpus, TextWriter log, int steps = Steps, int seed = Seed, Device? device = null)
    {
        var clock = Stopwatch.StartNew();
        // One thread: the same weights on every machine (a different split of the sums would round differently).
        int threads = get_num_threads();
        set_num_threads(1);
        try
        {
            return TrainSingleThreaded(corpus, log, steps, seed, clock, device ?? CPU);
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    private static StoryModel TrainSingleThreaded(StoryCorpus corpus, TextWriter log, int steps, int seed, Stopwatch clock, Device device)
    {
        manual_seed(seed);
        var model = new StoryModel(corpus.Tokenizer.Vocabulary.Count);   // initialised on the CPU: the same weights on any device
        model.to(device);
        var stream = corpus.Stream();
        using var data = tensor(stream, device: device);
        using var optimizer = optim.AdamW(model.parameters(), lr: 3e-3, weight_decay: 0.01);
        var rng = new Random(seed);
        int window = StoryModel.Context + 1;
        model.train();
        double smoothed = double.NaN;
        for (int step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            var starts = Enumerable.Range(0, Batch).Select(_ => (long)rng.Next(stream.Length - window)).ToArray();
            using var offsets = tensor(starts, device: device).unsqueeze(1) + arange(window, device: device).unsqueeze(0);
            var chunk = data[offsets];
            var x = chunk[.., ..^1];
            var y = chunk[.., 1..];
            double lr = 3e-3 * Math.Min(1.0, (step + 1) / 100.0) * (0.1 + 0.9 * (1 + Math.Cos(Math.PI * step / steps)) / 2);
            foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
            optimizer.zero_grad();
            var logits = model.call(x);
            var loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), y.reshape(-1));
            loss.backward();
            nn.utils.clip_grad_norm_(model.parameters(), 1.0);
            optimizer.step();
            double l = loss.item<float>();
            smoothed = double.IsNaN(smoothed) ? l : 0.98 * smoothed + 0.02 * l;
            if ((step + 1) % 100 == 0) log.WriteLine($"  step {step + 1}/{steps}: loss {smoothed:F3} ({clock.Elapsed.TotalSeconds:F0} s)");
        }
        model.eval();
        log.WriteLine($"Trained {Parameters(model):N0} parameters on {stream.Length:N0} tokens in {clock.Elapsed.TotalSeconds:F0} s.");
        return model;
    }

    public static long Parameters(StoryModel model) => model.parameters().Sum(p => p.numel());
}
