using System.IO.Compression;
using System.Xml.Linq;

namespace FluentAttrib.Package.Tests;

/// <summary>
/// Packs src/FluentAttrib, src/FluentAttrib.Plotting, src/FluentAttrib.MLNet and src/FluentAttrib.Onnx once per test run, with a unique prerelease version, into a
/// local folder under a temporary directory outside the repository. The builds of the pack go to an artifacts folder
/// there too (UseArtifactsOutput), so the repository's own bin/ and obj/ folders are not touched. Shared by every
/// test class of the <see cref="PackagesCollection"/>, so the packages are packed once.
/// </summary>
public sealed class PackedPackages : IDisposable
{
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(10);

    public PackedPackages()
    {
        RepositoryRoot = FindRepositoryRoot();
        Root = Directory.CreateTempSubdirectory("fluentattrib-package-test-").FullName;
        Feed = Path.Combine(Root, "feed");
        Directory.CreateDirectory(Feed);
        // SemVer 2 prerelease; the leading letter keeps the identifier alphanumeric.
        Version = $"0.0.0-pkgtest.g{Guid.NewGuid():N}";

        foreach (var project in new[] { "src/FluentAttrib.Plotting/FluentAttrib.Plotting.csproj", "src/FluentAttrib/FluentAttrib.csproj",
                     "src/FluentAttrib.MLNet/FluentAttrib.MLNet.csproj", "src/FluentAttrib.Onnx/FluentAttrib.Onnx.csproj" })
        {
            Dotnet.Run(RepositoryRoot, CommandTimeout,
                "pack", Path.Combine(RepositoryRoot, project), "-c", "Release", "-o", Feed, "-nologo",
                $"-p:Version={Version}",
                "-p:UseArtifactsOutput=true", $"-p:ArtifactsPath={Path.Combine(Root, "artifacts")}",
                // The solution's own build runs the .NET analyzers; here they would only cost time.
                "-p:EnableNETAnalyzers=false").EnsureSuccess();
        }
        // "global-packages: /root/.nuget/packages/"
        var locals = Dotnet.Run(Path.GetTempPath(), TimeSpan.FromMinutes(2), "nuget", "locals", "global-packages", "--list").EnsureSuccess();
        MachinePackagesFolder = locals.Output.Split('\n').Select(l => l.Trim())
            .First(l => l.StartsWith("global-packages:", StringComparison.Ordinal))["global-packages:".Length..].Trim();
        _pins = XDocument.Load(Path.Combine(RepositoryRoot, "Directory.Packages.props"));
    }

    private readonly XDocument _pins;

    /// <summary>The machine's NuGet package folder (the consumers' fallback folder: libtorch is not extracted again).</summary>
    public string MachinePackagesFolder { get; }

    /// <summary>The version of package <paramref name="id"/> that the repository pins in Directory.Packages.props.</summary>
    public string PinnedVersion(string id) =>
        _pins.Descendants("PackageVersion").Where(e => (string?)e.Attribute("Include") == id).Select(e => (string?)e.Attribute("Version")).SingleOrDefault()
        ?? throw new InvalidOperationException($"Directory.Packages.props pins no version of {id}.");

    /// <summary>The value of the MSBuild property <paramref name="name"/> set in Directory.Packages.props.</summary>
    public string PinnedProperty(string name) =>
        _pins.Descendants(name).SingleOrDefault()?.Value.Trim()
        ?? throw new InvalidOperationException($"Directory.Packages.props sets no property {name}.");

    /// <summary>The folder that holds FluentAttrib.sln.</summary>
    public string RepositoryRoot { get; }

    /// <summary>The temporary directory everything of this run lives in (deleted at the end).</summary>
    public string Root { get; }

    /// <summary>The local package folder with the .nupkg files.</summary>
    public string Feed { get; }

    /// <summary>The version the packages were packed with.</summary>
    public string Version { get; }

    public string PackagePath(string id) => Path.Combine(Feed, $"{id}.{Version}.nupkg");

    /// <summary>The nuspec of package <paramref name="id"/>.</summary>
    public XDocument Nuspec(string id)
    {
        using var zip = ZipFile.OpenRead(PackagePath(id));
        var entry = zip.GetEntry($"{id}.nuspec") ?? throw new InvalidOperationException($"{id}.nuspec is not in the package");
        using var stream = entry.Open();
        return XDocument.Load(stream);
    }

    /// <summary>The paths of the files in package <paramref name="id"/>.</summary>
    public IReadOnlyList<string> Files(string id)
    {
        using var zip = ZipFile.OpenRead(PackagePath(id));
        return zip.Entries.Select(e => e.FullName).ToArray();
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "FluentAttrib.sln"))) return dir.FullName;
        throw new InvalidOperationException($"FluentAttrib.sln not found above {AppContext.BaseDirectory}");
    }
}

/// <summary>The package test classes share one <see cref="PackedPackages"/>: the four packages are packed once per run.</summary>
[Xunit.CollectionDefinition(Name)]
public sealed class PackagesCollection : Xunit.ICollectionFixture<PackedPackages>
{
    public const string Name = "packed packages";
}
