using FluentAttrib.Build;
using FluentAttrib.Tests.Build;
using static TorchSharp.torch;

namespace FluentAttrib.Tests;

public sealed class TorchRuntimeTests : IDisposable
{
    private const string DotNetAdvice =
        "Unable to load shared library '/app/runtimes/linux-x64/native/libLibTorchSharp.so' or one of its dependencies. " +
        "In order to help diagnose loading problems, consider using a tool like strace. If you're using glibc, consider " +
        "setting the LD_DEBUG environment variable: \n";

    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void EnsureLoaded_succeeds_and_torch_computes()
    {
        TorchRuntime.EnsureLoaded();

        using var scope = NewDisposeScope();
        Assert.Equal(6.0f, arange(4, ScalarType.Float32).sum().item<float>());
    }

    [Fact]
    public void The_native_library_is_found_in_this_output_folder()
    {
        string? library = TorchRuntime.FindNativeLibrary(AppContext.BaseDirectory);

        Assert.NotNull(library);
        Assert.Equal(TorchRuntime.NativeLibraryName, Path.GetFileName(library));
    }

    [Fact]
    public void Diagnose_says_when_the_native_library_is_not_there()
    {
        var e = TorchRuntime.Diagnose(new NotSupportedException("from TorchSharp"), temp.Path);

        Assert.Contains("was not found", e.Message, StringComparison.Ordinal);
        Assert.Contains("libtorch-cpu-linux-x64", e.Message, StringComparison.Ordinal);
        Assert.IsType<NotSupportedException>(e.InnerException);
    }

    [SkippableFact]
    public void Diagnose_names_the_glibcxx_requirement_of_an_unpatched_library()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64,
            "the shipped library is for linux-x64");
        Skip.If(GlibcxxVersionPatcher.SystemProvides(), "this system's libstdc++ has GLIBCXX_3.4.32, so the shipped library loads");
        // Its dependencies (libtorch, libc10) are already loaded in this process, so the loader gets to the version check.
        string library = temp.Copy(NativeFiles.OriginalLibTorchSharp(), Path.Combine("runtimes", "linux-x64", "native", "libLibTorchSharp.so"));

        var e = TorchRuntime.Diagnose(new TypeInitializationException("TorchSharp.torch", null), temp.Path);

        Assert.Contains(library, e.Message, StringComparison.Ordinal);
        Assert.Contains("version `GLIBCXX_3.4.32' not found", e.Message, StringComparison.Ordinal);
        Assert.Contains("FluentAttribPatchLibTorchSharp", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("strace", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Diagnose_reports_what_the_loader_says_about_a_broken_library()
    {
        string library = temp.Write(TorchRuntime.NativeLibraryName, "not a library"u8.ToArray());

        var e = TorchRuntime.Diagnose(new TypeInitializationException("TorchSharp.torch", null), temp.Path);

        Assert.StartsWith($"TorchSharp cannot load {library}: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_sends_other_libstdcxx_versions_to_a_newer_runtime_not_to_the_patch()
    {
        var e = TorchRuntime.Explain("/app/libLibTorchSharp.so",
            DotNetAdvice + "/lib/x86_64-linux-gnu/libstdc++.so.6: version `GLIBCXX_3.4.30' not found (required by /app/libLibTorchSharp.so)",
            new TypeInitializationException("TorchSharp.torch", null));

        Assert.Contains("version `GLIBCXX_3.4.30' not found", e.Message, StringComparison.Ordinal);
        Assert.Contains("GCC 12", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("FluentAttribPatchLibTorchSharp", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_points_a_missing_dependency_to_a_backend_package()
    {
        var e = TorchRuntime.Explain("/app/libLibTorchSharp.so",
            DotNetAdvice + "libtorch.so: cannot open shared object file: No such file or directory",
            new NotSupportedException("This application or script uses TorchSharp but doesn't contain a reference to libtorch-cpu-linux-x64"));

        Assert.Contains("libtorch.so: cannot open shared object file", e.Message, StringComparison.Ordinal);
        Assert.Contains("backend package", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_passes_on_TorchSharps_message_when_the_library_itself_loads()
    {
        var original = new TypeInitializationException("TorchSharp.torch", new InvalidOperationException("first line\nsecond line"));

        var e = TorchRuntime.Explain("/app/libLibTorchSharp.so", null, original);

        Assert.EndsWith("itself loads: first line", e.Message, StringComparison.Ordinal);
        Assert.Same(original, e.InnerException);
    }
}
