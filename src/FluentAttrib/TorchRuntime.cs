using System.Runtime.InteropServices;
using TorchSharp;

namespace FluentAttrib;

/// <summary>Thrown when TorchSharp's native library cannot be loaded; the message names the real cause.</summary>
public sealed class TorchSharpLoadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TorchSharpLoadException(string message, Exception? inner) : base(message, inner) { }

    /// <summary>Creates the exception.</summary>
    public TorchSharpLoadException() { }

    /// <summary>Creates the exception.</summary>
    public TorchSharpLoadException(string message) : base(message) { }
}

/// <summary>Makes sure TorchSharp's native backend is loaded, and explains why when it cannot be.</summary>
public static class TorchRuntime
{
    private static readonly Lazy<Exception?> Failure = new(TryLoad, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// Loads TorchSharp's native backend (once). Every FluentAttrib entry point calls this, so a failure surfaces
    /// as a <see cref="TorchSharpLoadException"/> that names the real cause and the remedy.
    /// </summary>
    /// <exception cref="TorchSharpLoadException">The native backend cannot be loaded.</exception>
    public static void EnsureLoaded()
    {
        if (Failure.Value is { } e) throw e;
    }

    private static Exception? TryLoad()
    {
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            return null;
        }
        catch (Exception e) when (e is TypeInitializationException or NotSupportedException or DllNotFoundException or InvalidOperationException)
        {
            return Diagnose(e);
        }
    }

    private static TorchSharpLoadException Diagnose(Exception original)
    {
        string baseDir = AppContext.BaseDirectory;
        string[] candidates =
        [
            Path.Combine(baseDir, "runtimes", RuntimeInformation.RuntimeIdentifier, "native", "libLibTorchSharp.so"),
            Path.Combine(baseDir, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"),
            Path.Combine(baseDir, "libLibTorchSharp.so"),
        ];
        string? library = candidates.FirstOrDefault(File.Exists);
        if (OperatingSystem.IsLinux() && library is not null)
        {
            try
            {
                NativeLibrary.Free(NativeLibrary.Load(library));
            }
            catch (DllNotFoundException e) when (e.Message.Contains("GLIBCXX_", StringComparison.Ordinal))
            {
                return new TorchSharpLoadException(
                    $"TorchSharp cannot load {library}: it asks for a newer libstdc++ than this system has ({e.Message.Trim()}). " +
                    "TorchSharp 0.107.0 is built with GCC 13 but only marks one unused symbol with that version. " +
                    "FluentAttrib's build targets (build/FluentAttrib.targets in its package) weaken that requirement in the " +
                    "output folder after each build and publish: reference FluentAttrib as a package or import those targets, " +
                    "and make sure the property FluentAttribPatchLibTorchSharp is not false. Alternatively install a libstdc++ from GCC 13 or later.",
                    original);
            }
            catch (DllNotFoundException e)
            {
                return new TorchSharpLoadException($"TorchSharp cannot load {library}: {e.Message.Trim()}", original);
            }
        }
        if (library is null)
            return new TorchSharpLoadException(
                "TorchSharp's native library was not found beside the application. Reference a libtorch backend package " +
                "(e.g. libtorch-cpu-linux-x64, TorchSharp-cpu, or a CUDA backend) in the application project.",
                original);
        return new TorchSharpLoadException("TorchSharp's native backend failed to load: " + original.Message, original);
    }
}
