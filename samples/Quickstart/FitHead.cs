using System.Diagnostics;
using FluentAttrib.Architectures;
using FluentAttrib.Pretrained;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Quickstart;

/// <summary>
/// <c>fit-head</c>: fits the sample's four-class head (dog / cat / other animal / object or scene) on the pretrained
/// backbone's 512-d features of augmented crops of the training photos, and writes <c>head.bin</c>.
/// </summary>
/// <remarks>
/// Reproducible: the crops come from <see cref="Random"/> seeded with <see cref="Seed"/>, the head starts at zero,
/// and full-batch Adam has no randomness, so the same photos give the same head (bit for bit on the same machine
/// and thread count; float rounding in the backbone may differ in the last bits elsewhere).
/// </remarks>
internal static class FitHead
{
    public const int Seed = 0;
    public const int Steps = 300;
    public const double LearningRate = 0.01;
    public const double WeightDecay = 1e-4;
    /// <summary>Crops per class, spread over its photos (at least 2 per photo).</summary>
    public const int CropsPerClass = 100;

    /// <summary>The training folders, in class order, with the head's class names.</summary>
    public static IReadOnlyList<(string Folder, string Class)> Folders { get; } =
        [("dog", "dog"), ("cat", "cat"), ("other_animal", "other animal"), ("object_scene", "object or scene")];

    public sealed record Result(Head Head, double CropAccuracy, double PhotoAccuracy, int Crops, int Photos, TimeSpan Elapsed);

    public static Result Fit(string photosDir, TextWriter log)
    {
        var clock = Stopwatch.StartNew();
        var rng = new Random(Seed);
        var classPhotos = Folders.Select(f => Directory.GetFiles(Path.Combine(photosDir, f.Folder), "*.jpg").Order(StringComparer.Ordinal).ToArray()).ToArray();
        for (int k = 0; k < classPhotos.Length; k++)
            if (classPhotos[k].Length == 0) throw new DirectoryNotFoundException($"No training photos (*.jpg) in {Path.Combine(photosDir, Folders[k].Folder)}.");

        // The backbone with a throwaway head: only its features are used here.
        using var backbone = PretrainedResNet18.Create(numClasses: 1);
        using var preprocess = PretrainedResNet18.LoadPreprocess();

        var features = new List<Tensor>();
        var labels = new List<long>();
        var isWholePhoto = new List<bool>();
        var batch = new List<Photo>();
        void Flush()
        {
            if (batch.Count == 0) return;
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var input = preprocess.call(cat(batch.Select(p => p.Rgb).ToList(), 0));
            features.Add(ResNets.Features(backbone, input).Pooled.MoveToOuterDisposeScope());
            foreach (var p in batch) p.Dispose();
            batch.Clear();
        }

        int photos = 0;
        for (int k = 0; k < classPhotos.Length; k++)
        {
            int perPhoto = Math.Max(2, (int)Math.Ceiling((double)CropsPerClass / classPhotos[k].Length));
            foreach (var path in classPhotos[k])
            {
                using var image = Photo.Decode(path);
                photos++;
                for (int i = 0; i < perPhoto; i++)
                {
                    batch.Add(i == 0 ? CentreSquare(image) : RandomCrop(image, rng));
                    labels.Add(k);
                    isWholePhoto.Add(i == 0);
                    if (batch.Count == 16) Flush();
                }
            }
            log.WriteLine($"  {Folders[k].Class,-16} {classPhotos[k].Length,3} photos × {perPhoto,2} crops");
        }
        Flush();
        log.WriteLine($"  features of {labels.Count} crops: {clock.Elapsed.TotalSeconds:F1} s");

        using var x = cat(features, 0);
        foreach (var f in features) f.Dispose();
        using var y = tensor(labels.ToArray());
        var head = Train(x, y, Folders.Select(f => f.Class).ToArray(), log);

        using var w = head.WeightTensor();
        using var b = tensor(head.Bias);
        using var predicted = x.matmul(w.t()).add(b).argmax(1);
        using var correct = predicted.eq(y);
        double cropAccuracy = correct.to(ScalarType.Float64).mean().item<double>();
        using var whole = tensor(isWholePhoto.ToArray());
        double photoAccuracy = correct[whole].to(ScalarType.Float64).mean().item<double>();
        return new Result(head, cropAccuracy, photoAccuracy, labels.Count, photos, clock.Elapsed);
    }

    /// <summary>Softmax regression with class-balanced cross-entropy and L2 on the weights, full-batch Adam from zero.</summary>
    private static Head Train(Tensor x, Tensor y, string[] classes, TextWriter log)
    {
        int k = classes.Length;
        long n = x.shape[0], d = x.shape[1];
        using var counts = bincount(y, minlength: k).to(ScalarType.Float32);
        using var classWeights = (n / (k * counts.clamp_min(1)));
        var weight = new TorchSharp.Modules.Parameter(zeros(k, d));
        var bias = new TorchSharp.Modules.Parameter(zeros(k));
        using var optimizer = optim.Adam([weight, bias], lr: LearningRate);
        for (int step = 1; step <= Steps; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var logits = x.matmul(weight.t()) + bias;
            var loss = nn.functional.cross_entropy(logits, y, weight: classWeights) + WeightDecay * weight.square().sum();
            loss.backward();
            optimizer.step();
            if (step == 1 || step % 100 == 0) log.WriteLine($"  step {step,3}: loss {loss.item<float>():F4}");
        }
        var w = weight.detach().data<float>().ToArray();
        var matrix = new float[k, d];
        for (int i = 0; i < k; i++)
            for (int j = 0; j < d; j++)
                matrix[i, j] = w[i * d + j];
        var result = new Head(classes, matrix, bias.detach().data<float>().ToArray());
        weight.Dispose();
        bias.Dispose();
        return result;
    }

    private static Photo CentreSquare(SKBitmap image)
    {
        float side = Math.Min(image.Width, image.Height);
        return Photo.FromRegion(image, SKRect.Create((image.Width - side) / 2, (image.Height - side) / 2, side, side), Photo.Size, Photo.Size, flip: false);
    }

    /// <summary>A random region covering 35–100% of the photo, aspect ratio 3:4 to 4:3, flipped half of the time.</summary>
    private static Photo RandomCrop(SKBitmap image, Random rng)
    {
        double area = image.Width * image.Height * (0.35 + 0.65 * rng.NextDouble());
        double aspect = Math.Exp(Math.Log(3.0 / 4) + rng.NextDouble() * (Math.Log(4.0 / 3) - Math.Log(3.0 / 4)));
        float w = (float)Math.Min(image.Width, Math.Sqrt(area * aspect));
        float h = (float)Math.Min(image.Height, Math.Sqrt(area / aspect));
        float left = (float)(rng.NextDouble() * (image.Width - w)), top = (float)(rng.NextDouble() * (image.Height - h));
        return Photo.FromRegion(image, SKRect.Create(left, top, w, h), Photo.Size, Photo.Size, flip: rng.NextDouble() < 0.5);
    }
}
