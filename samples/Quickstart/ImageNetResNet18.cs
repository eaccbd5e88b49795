using System.Collections;
using FluentAttrib.Architectures;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Quickstart;

/// <summary>
/// TorchVision's resnet18 with torchvision's own ImageNet weights, read with TorchSharp.PyBridge from the
/// <c>state_dict</c> that <c>torch.save(torchvision.models.resnet18(weights="IMAGENET1K_V1").state_dict(), "resnet18.pth")</c>
/// writes, into an <see cref="ExplainableResNet"/> (TorchVision's architecture and state-dict names, every ReLU and
/// addition a module); ImageNet's input normalisation and its 1000 class names. This is the network of Captum's ResNet
/// tutorial (the seed recipe: targets 208, Labrador retriever, and 283, Persian cat).
/// </summary>
internal sealed class ImageNetResNet18 : IClassifier
{
    /// <summary>ImageNet's per-channel mean and standard deviation of RGB in [0, 1] (torchvision's transforms).</summary>
    private static readonly float[] Mean = [0.485f, 0.456f, 0.406f], Std = [0.229f, 0.224f, 0.225f];

    private Tensor _mean, _std;

    private ImageNetResNet18(ExplainableResNet model, IReadOnlyList<string> classes, string weightsPath)
    {
        Model = model;
        Classes = classes;
        WeightsPath = weightsPath;
        _mean = tensor(Mean).reshape(1, 3, 1, 1);
        _std = tensor(Std).reshape(1, 3, 1, 1);
    }

    public nn.Module<Tensor, Tensor> Model { get; }

    public IReadOnlyList<string> Classes { get; }

    public string WeightsPath { get; }

    public string Description => $"resnet18 (TorchVision's, as an ExplainableResNet) with the ImageNet weights of {Path.GetFileName(WeightsPath)} (read with TorchSharp.PyBridge)";

    /// <summary>The shipped class names: <c>imagenet_classes.txt</c> beside the program.</summary>
    public static string ClassNamesPath => Path.Combine(AppContext.BaseDirectory, "imagenet_classes.txt");

    /// <summary>Reads the 1000 class names (lines that are not comments, in order).</summary>
    /// <exception cref="InvalidDataException">The file does not hold 1000 names.</exception>
    public static IReadOnlyList<string> LoadClassNames(string? path = null)
    {
        path ??= ClassNamesPath;
        var names = File.ReadLines(path).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();
        if (names.Length != 1000) throw new InvalidDataException($"{path} lists {names.Length} class names, not ImageNet's 1000.");
        return names;
    }

    /// <summary>
    /// Builds resnet18 and loads the state dict in <paramref name="weightsPath"/> into it. Every name
    /// and shape is checked against the model before anything is copied, so a wrong file changes nothing and the
    /// message lists what does not fit.
    /// </summary>
    /// <exception cref="WeightsException">The file is missing, not a PyTorch state dict, or not resnet18's.</exception>
    public static ImageNetResNet18 Load(string weightsPath, IReadOnlyList<string> classes)
    {
        var model = ExplainableResNet.ResNet18(classes.Count);
        try
        {
            using (NewDisposeScope())
            {
                var state = ReadStateDict(weightsPath);
                CheckFits(weightsPath, model, state);
                // What PyBridge's module.load_py(path) does, after the check above: the strict built-in load_state_dict.
                model.load_state_dict(state, strict: true);
            }
            model.eval();
            return new ImageNetResNet18(model, classes, weightsPath);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Reads a state dict saved by <c>torch.save</c> (the zip format of PyTorch ≥ 1.6) with TorchSharp.PyBridge.</summary>
    /// <exception cref="WeightsException">The file is missing or not such a state dict.</exception>
    public static Dictionary<string, Tensor> ReadStateDict(string path)
    {
        if (!File.Exists(path)) throw new WeightsException($"There is no weights file {path}.");
        Hashtable table;
        try
        {
            using var stream = File.OpenRead(path);
            table = PyTorchUnpickler.UnpickleStateDict(stream);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // PyBridge throws NotImplementedException for the legacy (non-zip) format and for whole pickled models,
            // InvalidDataException or the pickler's own exceptions for damaged files.
            throw new WeightsException(
                $"{path} is not a PyTorch state dict that TorchSharp.PyBridge can read ({e.GetType().Name}: {e.Message}). " +
                "Save it with torch.save(model.state_dict(), path).", e);
        }
        var state = new Dictionary<string, Tensor>();
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Key is not string name || entry.Value is not Tensor t)
                throw new WeightsException($"{path} holds a '{entry.Key}' entry that is not a tensor: it is not a state dict.");
            state[name] = t;
        }
        return state;
    }

    /// <summary>Checks that <paramref name="state"/> has exactly the model's entries, with the model's shapes.</summary>
    /// <exception cref="WeightsException">Something is missing, extra or of another shape (the first few are listed).</exception>
    public static void CheckFits(string path, nn.Module model, IReadOnlyDictionary<string, Tensor> state)
    {
        var expected = model.state_dict();
        var problems = new List<string>();
        foreach (var (name, tensor) in expected)
        {
            if (!state.TryGetValue(name, out var given)) problems.Add($"'{name}' is missing");
            else if (!given.shape.SequenceEqual(tensor.shape))
                problems.Add($"'{name}' is [{string.Join(", ", given.shape)}], resnet18's is [{string.Join(", ", tensor.shape)}]");
        }
        foreach (var name in state.Keys.Order(StringComparer.Ordinal))
            if (!expected.ContainsKey(name)) problems.Add($"'{name}' is not in resnet18");
        if (problems.Count == 0) return;
        const int shown = 6;
        string list = string.Join("; ", problems.Take(shown)) + (problems.Count > shown ? $"; and {problems.Count - shown} more" : "");
        throw new WeightsException($"{path} is not the state dict of TorchVision's resnet18 with {expected["fc.bias"].shape[0]} classes: {list}.");
    }

    /// <summary>RGB 0–255 → [0, 1] → minus ImageNet's mean, divided by its standard deviation (per channel).</summary>
    public Tensor Input(Tensor rgb)
    {
        using var scope = NewDisposeScope();
        return ((rgb.to(Device) / 255.0) - _mean).div(_std).MoveToOuterDisposeScope();
    }

    public Device Device { get; private set; } = CPU;

    public void MoveTo(Device device)
    {
        Model.to(device);
        var (mean, std) = (_mean, _std);
        (_mean, _std) = (mean.to(device), std.to(device));
        if (!ReferenceEquals(mean, _mean)) mean.Dispose();
        if (!ReferenceEquals(std, _std)) std.Dispose();
        Device = device;
    }

    /// <summary>ImageNet's dog breeds are classes 151–268, its domestic cats 281–285.</summary>
    public string? AnimalOf(int k) => k switch
    {
        >= 151 and <= 268 => "dog",
        >= 281 and <= 285 => "cat",
        _ => null,
    };

    public void Dispose()
    {
        Model.Dispose();
        _mean.Dispose();
        _std.Dispose();
    }
}

/// <summary>A weights file that cannot be used; the message says why.</summary>
internal sealed class WeightsException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A wrong command line (unknown option or class); the message says what is wrong.</summary>
internal sealed class UsageException(string message) : Exception(message);
