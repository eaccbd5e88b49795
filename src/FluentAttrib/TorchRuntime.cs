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
    /// Whether attribution calls keep the native memory one pass frees for the next pass (glibc on Linux only): while a
    /// call runs, glibc's malloc is asked not to return freed memory to the operating system, and when the call ends the
    /// free memory is returned (<c>malloc_trim</c>). Without it, every pass of a large model faults in and zeroes its
    /// activation memory anew (on mobilenet_v2, 4 images per pass: about 12,000 page faults per pass instead of about
    /// 20). What it changes in the process's allocator is described in docs/performance.md.
    /// </summary>
    /// <value>The default value is <see langword="true"/>. Set it before the first attribution to leave the allocator alone.</value>
    public static bool KeepMemoryBetweenPasses { get; set; } = true;

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
            return Diagnose(e, AppContext.BaseDirectory);
        }
    }

    /// <summary>File name of TorchSharp's native library on this operating system.</summary>
    internal static string NativeLibraryName =>
        OperatingSystem.IsWindows() ? "LibTorchSharp.dll" : OperatingSystem.IsMacOS() ? "libLibTorchSharp.dylib" : "libLibTorchSharp.so";

    /// <summary>
    /// Finds TorchSharp's native library in <paramref name="baseDirectory"/> where a build or publish puts it:
    /// <c>runtimes/RID/native/</c> for a portable build, the folder itself for a RID-specific one.
    /// </summary>
    internal static string? FindNativeLibrary(string baseDirectory)
    {
        string name = NativeLibraryName;
        string arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        string[] candidates =
        [
            Path.Combine(baseDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier, "native", name),
            Path.Combine(baseDirectory, "runtimes", $"{os}-{arch}", "native", name),
            Path.Combine(baseDirectory, name),
        ];
        return candidates.FirstOrDefault(File.Exists);
    }

    /// <summary>Loads the native library found in <paramref name="baseDirectory"/> once more to name the real cause of <paramref name="original"/>.</summary>
    internal static TorchSharpLoadException Diagnose(Exception original, string baseDirectory)
    {
        string? library = FindNativeLibrary(baseDirectory);
        if (library is null)
            return new TorchSharpLoadException(
                $"TorchSharp's native library ({NativeLibraryName}) was not found in {baseDirectory}. Make sure the application " +
                "references the TorchSharp package and a libtorch backend package (e.g. libtorch-cpu-linux-x64 or TorchSharp-cpu).",
                original);
        string? loaderError = null;
        try
        {
            NativeLibrary.Free(NativeLibrary.Load(library));
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            loaderError = e.Message.Trim();
        }
        return Explain(library, loaderError, original);
    }

    /// <summary>
    /// Turns what the system loader said about <paramref name="library"/> (null: it loaded) into an exception that
    /// names the cause and the remedy.
    /// </summary>
    internal static TorchSharpLoadException Explain(string library, string? loaderError, Exception original)
    {
        if (loaderError is null)
            return new TorchSharpLoadException(
                $"TorchSharp's native backend failed to load, although {library} itself loads: {FirstLine(original)}", original);

        string detail = LoaderDetail(loaderError);
        if (loaderError.Contains("GLIBCXX_3.4.32", StringComparison.Ordinal))
            return new TorchSharpLoadException(
                $"TorchSharp cannot load {library}: it asks for a newer libstdc++ than this system has ({detail}). " +
                "TorchSharp 0.107.0 is built with GCC 13 but uses GLIBCXX_3.4.32 only for one unused marker symbol. " +
                "FluentAttrib's build targets (build/FluentAttrib.targets in its package) make that requirement weak in the " +
                "output folder after each build and publish: reference FluentAttrib as a package or import those targets, " +
                "and make sure the property FluentAttribPatchLibTorchSharp is not false. Alternatively install a libstdc++ " +
                "from GCC 13 or later.",
                original);
        if (loaderError.Contains("GLIBCXX_", StringComparison.Ordinal) || loaderError.Contains("GLIBC_", StringComparison.Ordinal))
            return new TorchSharpLoadException(
                $"TorchSharp cannot load {library}: this system's C or C++ runtime is older than TorchSharp needs ({detail}). " +
                "FluentAttrib's build targets only make the GLIBCXX_3.4.32 requirement weak; TorchSharp 0.107.0 needs at least " +
                "glibc 2.34 and the libstdc++ of GCC 12 (GLIBCXX_3.4.30).",
                original);
        if (loaderError.Contains("cannot open shared object file", StringComparison.Ordinal))
            return new TorchSharpLoadException(
                $"TorchSharp cannot load {library}: a library it depends on is missing ({detail}). Reference a libtorch " +
                "backend package (e.g. libtorch-cpu-linux-x64, TorchSharp-cpu, or a CUDA backend) in the application project.",
                original);
        return new TorchSharpLoadException($"TorchSharp cannot load {library}: {detail}", original);
    }

    /// <summary>The system loader's own words: .NET puts them on the last line, after its generic advice.</summary>
    private static string LoaderDetail(string message)
    {
        string[] lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? message : lines[^1];
    }

    private static string FirstLine(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is not TypeInitializationException)
                return x.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? x.Message;
        return e.Message;
    }
}
