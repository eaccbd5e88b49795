using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace FluentAttrib.Package.Tests;

/// <summary>
/// A console project outside the repository that installs packed packages as a NuGet user would: a nuget.config that
/// adds the local feed to the machine's sources, empty Directory.Build.* files (so MSBuild's upward search stops in the
/// temporary folder), a .csproj with PackageReferences and the given source files. Shared by the consumer tests.
/// </summary>
internal sealed class ConsumerProject
{
    private readonly PackedPackages _packages;
    private readonly ITestOutputHelper _output;

    private ConsumerProject(PackedPackages packages, string directory, ITestOutputHelper output)
    {
        _packages = packages;
        Directory = directory;
        _output = output;
    }

    /// <summary>The project's folder (under the run's temporary directory).</summary>
    public string Directory { get; }

    /// <summary>
    /// Writes the project <c>Consumer</c> into <paramref name="name"/> under the run's folder: PackageReferences to the
    /// packed <paramref name="packedIds"/> at the packed version, to <paramref name="otherPackages"/> at the versions the
    /// repository pins (Directory.Packages.props), and the <paramref name="sources"/> (file name → C# text).
    /// </summary>
    public static ConsumerProject Write(PackedPackages packages, ITestOutputHelper output, string name,
        IEnumerable<string> packedIds, IEnumerable<string> otherPackages, IReadOnlyDictionary<string, string> sources)
    {
        string dir = Path.Combine(packages.Root, name);
        System.IO.Directory.CreateDirectory(dir);
        // The local folder is added to the machine's usual sources (TorchSharp and libtorch restore from them or from
        // the cache). Packages are extracted into a folder of this run; the machine's package folder serves as a
        // fallback, so libtorch is not copied again and the packed test versions do not pile up there.
        File.WriteAllText(Path.Combine(dir, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{Path.Combine(packages.Root, "packages")}" />
              </config>
              <packageSources>
                <add key="fluentattrib-local" value="{packages.Feed}" />
              </packageSources>
              <fallbackPackageFolders>
                <add key="machine" value="{packages.MachinePackagesFolder}" />
              </fallbackPackageFolders>
            </configuration>
            """);
        foreach (var file in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
            File.WriteAllText(Path.Combine(dir, file), "<Project />\n");

        var references = packedIds.Select(id => (Id: id, Version: packages.Version))
            .Concat(otherPackages.Select(id => (Id: id, Version: packages.PinnedVersion(id))));
        File.WriteAllText(Path.Combine(dir, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
            {string.Concat(references.Select(r => $"    <PackageReference Include=\"{r.Id}\" Version=\"{r.Version}\" />\n"))}  </ItemGroup>
            </Project>
            """);
        foreach (var (file, text) in sources)
            File.WriteAllText(Path.Combine(dir, file), text);
        return new ConsumerProject(packages, dir, output);
    }

    /// <summary>Builds the project (Release) and checks that each of <paramref name="packedIds"/> was restored at the packed version.</summary>
    public void Build(params string[] packedIds)
    {
        var build = Dotnet.Run(Directory, PackedPackages.CommandTimeout, "build", "-nologo", "-c", "Release",
            // The libtorch files are linked, not copied, from the package folder when the file system allows it;
            // the GLIBCXX patch writes a new file over the link, so the package folder stays untouched.
            "-p:CreateHardLinksForCopyLocalIfPossible=true");
        _output.WriteLine(build.Output);
        build.EnsureSuccess();
        using var assets = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "obj", "project.assets.json")));
        var libraries = assets.RootElement.GetProperty("libraries");
        foreach (var id in packedIds)
            Assert.True(libraries.TryGetProperty($"{id}/{_packages.Version}", out _), $"{id} was not restored at the packed version");
    }

    /// <summary>Runs the built program with <paramref name="args"/>; returns its output lines (trimmed, non-empty) after checking it succeeded.</summary>
    public string[] Run(params string[] args)
    {
        string dll = Path.Combine(Directory, "bin", "Release", "net10.0", "Consumer.dll");
        var run = Dotnet.Run(Directory, PackedPackages.CommandTimeout, [dll, .. args]);
        _output.WriteLine(run.Output);
        run.EnsureSuccess();
        return run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}
