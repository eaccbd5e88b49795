using System.Collections;
using System.Reflection;
using Microsoft.Build.Framework;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Build;

/// <summary>Where the test finds real native libraries, never to be modified in place.</summary>
internal static class NativeFiles
{
    /// <summary>The TorchSharp package version this test assembly runs with (the folder name in the package cache).</summary>
    public static string TorchSharpVersion =>
        typeof(Tensor).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];

    /// <summary>The package cache: NUGET_PACKAGES when set, else NuGet's default folder.</summary>
    public static string PackageCache =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } folder
            ? folder
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>libLibTorchSharp.so exactly as the TorchSharp package ships it.</summary>
    public static string OriginalLibTorchSharp()
    {
        string path = Path.Combine(PackageCache, "torchsharp", TorchSharpVersion, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(path), $"TorchSharp's original native library is not at {path} (set NUGET_PACKAGES to the package folder restore used).");
        return path;
    }

    /// <summary>A libtorch library from this test's output folder that asks for older GLIBCXX versions only.</summary>
    public static string LibC10()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libc10.so");
        Assert.True(File.Exists(path), $"{path} is missing: the test project references libtorch-cpu-linux-x64, whose libc10.so should be copied there.");
        return path;
    }
}

/// <summary>A folder under the system's temporary folder, deleted with everything in it on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "fluentattrib-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>Copies <paramref name="source"/> into the folder (under <paramref name="relative"/>) and returns the copy's path.</summary>
    public string Copy(string source, string? relative = null)
    {
        string target = System.IO.Path.Combine(Path, relative ?? System.IO.Path.GetFileName(source));
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
        File.Copy(source, target);
        return target;
    }

    /// <summary>Writes <paramref name="bytes"/> to a new file in the folder and returns its path.</summary>
    public string Write(string name, byte[] bytes)
    {
        string target = System.IO.Path.Combine(Path, name);
        File.WriteAllBytes(target, bytes);
        return target;
    }

    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}

/// <summary>Collects what an MSBuild task logs.</summary>
internal sealed class RecordingBuildEngine : IBuildEngine
{
    public List<string> Messages { get; } = [];
    public List<string> Warnings { get; } = [];
    public List<string> Errors { get; } = [];

    public bool ContinueOnError => false;
    public int LineNumberOfTaskNode => 0;
    public int ColumnNumberOfTaskNode => 0;
    public string ProjectFileOfTaskNode => "test.proj";

    public void LogErrorEvent(BuildErrorEventArgs e) => Errors.Add(e.Message ?? "");
    public void LogWarningEvent(BuildWarningEventArgs e) => Warnings.Add(e.Message ?? "");
    public void LogMessageEvent(BuildMessageEventArgs e) => Messages.Add(e.Message ?? "");
    public void LogCustomEvent(CustomBuildEventArgs e) { }

    public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs) =>
        throw new NotSupportedException();
}
