// Shared by the samples (linked into each project): the --device option.
using TorchSharp;

namespace FluentAttrib.Samples;

/// <summary><c>--device cpu|cuda</c>: where a sample runs; CUDA by default when TorchSharp reports it available.</summary>
internal static class DeviceOption
{
    public const string Help = "--device cpu|cuda  where to run the model (default: cuda when TorchSharp reports it available, else cpu)";

    /// <summary>True when <paramref name="name"/> is a value <see cref="Resolve"/> accepts (null: the default).</summary>
    public static bool IsValid(string? name) => name is null or "cpu" or "cuda";

    /// <summary>The device for <paramref name="name"/> (null: the default); call after TorchSharp is loaded.</summary>
    public static torch.Device Resolve(string? name) => name switch
    {
        null => torch.cuda.is_available() ? torch.CUDA : torch.CPU,
        "cpu" => torch.CPU,
        "cuda" when torch.cuda.is_available() => torch.CUDA,
        "cuda" => throw new ArgumentException("--device cuda: TorchSharp reports no CUDA device (the application references the CPU backend, or there is no GPU).", nameof(name)),
        _ => throw new ArgumentException($"--device must be cpu or cuda, not '{name}'.", nameof(name)),
    };
}
