using System.Text.Json;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Conformance;

/// <summary>One Quantus reference case (see quantus-reference/SCHEMA.md), with helpers that decode its arguments.</summary>
public sealed class QuantusCase
{
    private QuantusCase(JsonElement root) => Root = root;

    public JsonElement Root { get; }
    public string Id => Root.GetProperty("id").GetString()!;
    public string Metric => Root.GetProperty("metric").GetString()!;
    public JsonElement Constructor => Root.GetProperty("constructor");
    public JsonElement Call => Root.GetProperty("call_kwargs");
    public JsonElement Expected => Root.GetProperty("expected");
    public double Rtol => Root.GetProperty("tolerance").GetProperty("rtol").GetDouble();
    public double Atol => Root.GetProperty("tolerance").GetProperty("atol").GetDouble();

    public Tensor X => CaseFile.TensorOf(Root.GetProperty("x_batch"));
    public long[] Y => CaseFile.TensorOf(Root.GetProperty("y_batch")).data<long>().ToArray();
    public Tensor A => CaseFile.TensorOf(Root.GetProperty("a_batch"));
    public Tensor? S => Nullable("s_batch");
    public Tensor? Custom => Nullable("custom_batch");
    public Tensor? Segments => Nullable("segments");

    private Tensor? Nullable(string key) =>
        Root.TryGetProperty(key, out var e) && e.ValueKind != JsonValueKind.Null ? CaseFile.TensorOf(e) : null;

    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Conformance", "quantus-reference");

    public static IEnumerable<string> AllIds() =>
        System.IO.Directory.EnumerateFiles(Directory, "*.json").Select(p => Path.GetFileNameWithoutExtension(p)!).Order(StringComparer.Ordinal);

    public static QuantusCase Load(string id)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Directory, id + ".json")));
        return new QuantusCase(doc.RootElement.Clone());
    }

    public bool Has(string key) => Constructor.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null;
    public JsonElement Ctor(string key) => Constructor.GetProperty(key);
    public bool Flag(string key, bool fallback) => Has(key) ? Ctor(key).GetBoolean() : fallback;
    public int Int(string key, int fallback) => Has(key) ? Ctor(key).GetInt32() : fallback;
    public double Double(string key, double fallback) => Has(key) ? Ctor(key).GetDouble() : fallback;
    public string? String(string key) => Has(key) && Ctor(key).ValueKind == JsonValueKind.String ? Ctor(key).GetString() : null;

    /// <summary>The call's <c>softmax</c> switch, or the metric's default.</summary>
    public bool Softmax(bool fallback) =>
        Call.TryGetProperty("softmax", out var v) && v.ValueKind != JsonValueKind.Null ? v.GetBoolean() : fallback;

    /// <summary>The call's <c>explain_func_kwargs.method</c>.</summary>
    public string ExplainMethod => Call.GetProperty("explain_func_kwargs").GetProperty("method").GetString()!;

    /// <summary>Quantus's <c>normalise</c>, <c>normalise_func</c> and <c>normalise_func_kwargs</c> as one normalization.</summary>
    public AttributionNormalization Normalization(bool fallback)
    {
        if (!Flag("normalise", fallback)) return AttributionNormalization.None;
        if (Has("normalise_func"))
        {
            string f = Ctor("normalise_func").GetProperty("callable").GetString()!;
            if (f.EndsWith("normalise_by_negative", StringComparison.Ordinal)) return AttributionNormalization.ByNegative;
            if (!f.EndsWith("normalise_by_max", StringComparison.Ordinal)) throw new NotSupportedException("normalise_func " + f);
        }
        if (Has("normalise_func_kwargs") && Ctor("normalise_func_kwargs").TryGetProperty("normalise_axes", out var axes) && axes.ValueKind != JsonValueKind.Null)
        {
            var list = axes.EnumerateArray().Select(a => a.GetInt32()).ToArray();
            if (list.Length > 0 && !list.Contains(0)) return AttributionNormalization.MaxPerExample;
        }
        return AttributionNormalization.MaxOfBatch;
    }

    /// <summary>Quantus's <c>perturb_baseline</c>.</summary>
    public Substrate Substrate(string fallback)
    {
        if (!Has("perturb_baseline")) return SubstrateOf(fallback);
        var e = Ctor("perturb_baseline");
        return e.ValueKind == JsonValueKind.Number ? FluentAttrib.Substrate.Constant(e.GetDouble()) : SubstrateOf(e.GetString()!);
    }

    private static Substrate SubstrateOf(string name) => name switch
    {
        "black" => FluentAttrib.Substrate.Minimum,
        "white" => FluentAttrib.Substrate.Maximum,
        "mean" => FluentAttrib.Substrate.Mean,
        _ => throw new NotSupportedException("perturb_baseline " + name),
    };

    /// <summary>Quantus's <c>similarity_func</c> (a correlation callable), or the fallback.</summary>
    public Similarity Similarity(Similarity fallback)
    {
        if (!Has("similarity_func")) return fallback;
        string f = Ctor("similarity_func").GetProperty("callable").GetString()!;
        return f switch
        {
            _ when f.EndsWith("correlation_pearson", StringComparison.Ordinal) => FluentAttrib.Similarity.Pearson,
            _ when f.EndsWith("correlation_spearman", StringComparison.Ordinal) => FluentAttrib.Similarity.Spearman,
            _ when f.EndsWith("correlation_kendall_tau", StringComparison.Ordinal) => FluentAttrib.Similarity.KendallTau,
            _ when f.EndsWith("ssim", StringComparison.Ordinal) => FluentAttrib.Similarity.Ssim,
            _ => throw new NotSupportedException("similarity_func " + f),
        };
    }
}
