using static TorchSharp.torch;

namespace Quickstart;

/// <summary>
/// A network the sample explains: a ResNet whose last stage is <c>layer4</c>, its input transform and its class
/// names. Either the pretrained backbone with the sample's fitted head (<see cref="Network"/>), or TorchVision's
/// resnet18 with ImageNet weights from a <c>.pth</c> file (<see cref="ImageNetResNet18"/>).
/// </summary>
internal interface IClassifier : IDisposable
{
    /// <summary>One line saying what the network is, for the console.</summary>
    string Description { get; }

    /// <summary>Preprocessed image in (N×3×H×W), one logit per class out.</summary>
    nn.Module<Tensor, Tensor> Model { get; }

    /// <summary>Class names, in output order.</summary>
    IReadOnlyList<string> Classes { get; }

    /// <summary>The network input for planar RGB 0–255 (N×3×H×W), on <see cref="Device"/>.</summary>
    Tensor Input(Tensor rgb);

    /// <summary>Where the model runs (the CPU until <see cref="MoveTo"/>).</summary>
    Device Device { get; }

    /// <summary>Moves the model and its input transform to <paramref name="device"/>.</summary>
    void MoveTo(Device device);

    /// <summary>"dog" or "cat" when class <paramref name="k"/> is one (used to check where the evidence lies), else null.</summary>
    string? AnimalOf(int k);
}

/// <summary>Shared helpers over <see cref="IClassifier"/>.</summary>
internal static class Classifiers
{
    /// <summary>The name of the network's last stage, explained by Grad-CAM.</summary>
    public const string LastStage = "layer4";

    /// <summary>Class probabilities for planar RGB 0–255, one row per image.</summary>
    public static Tensor Probabilities(this IClassifier network, Tensor rgb)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using var input = network.Input(rgb);
        return network.Model.call(input).softmax(1).MoveToOuterDisposeScope();
    }

    /// <summary>The <paramref name="count"/> most probable classes of the first image, most probable first.</summary>
    public static IReadOnlyList<(int Class, float Probability)> Top(this IClassifier network, Tensor rgb, int count)
    {
        using var p = network.Probabilities(rgb);
        var probabilities = p[0].cpu().data<float>().ToArray();
        return [.. Enumerable.Range(0, probabilities.Length).OrderByDescending(k => probabilities[k]).Take(count).Select(k => (k, probabilities[k]))];
    }

    /// <summary>
    /// Resolves a class given by name (case-insensitive) or by index. Throws a <see cref="UsageException"/> that
    /// lists the classes (or, for long lists, those whose name contains the text) when there is no such class.
    /// </summary>
    public static int Resolve(this IReadOnlyList<string> classes, string text)
    {
        for (int k = 0; k < classes.Count; k++)
            if (string.Equals(classes[k], text, StringComparison.OrdinalIgnoreCase)) return k;
        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index))
        {
            if (index < classes.Count) return index;
            throw new UsageException($"Class index {index} is out of range: the network has {classes.Count} classes (0–{classes.Count - 1}).");
        }
        if (classes.Count <= 10)
            throw new UsageException($"Unknown class '{text}'. The classes are: {string.Join(", ", classes)} (or their indices 0–{classes.Count - 1}).");
        var near = classes.Select((c, k) => (c, k)).Where(x => x.c.Contains(text, StringComparison.OrdinalIgnoreCase)).Take(8).ToList();
        string hint = near.Count > 0
            ? $" Classes whose name contains it: {string.Join(", ", near.Select(x => $"{x.k} {x.c}"))}."
            : $" Give one of the {classes.Count} class names or an index 0–{classes.Count - 1}.";
        throw new UsageException($"Unknown class '{text}'.{hint}");
    }
}
