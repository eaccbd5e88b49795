using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Conformance;

/// <summary>One Captum reference case (see captum-reference/SCHEMA.md), with helpers that decode its values.</summary>
public sealed class CaseFile
{
    private CaseFile(string path, JsonElement root)
    {
        Path = path;
        Root = root;
    }

    public string Path { get; }
    public JsonElement Root { get; }
    public string Id => Root.GetProperty("id").GetString()!;
    public string Algorithm => Root.GetProperty("algorithm").GetString()!;
    public string Family => Root.GetProperty("family").GetString()!;
    public JsonElement Constructor => Root.GetProperty("constructor");
    public JsonElement Kwargs => Root.GetProperty("attribute_kwargs");
    public JsonElement Expected => Root.GetProperty("expected");
    public double Rtol => Root.GetProperty("tolerance").GetProperty("rtol").GetDouble();
    public double Atol => Root.GetProperty("tolerance").GetProperty("atol").GetDouble();

    public static string Directory => System.IO.Path.Combine(AppContext.BaseDirectory, "Conformance", "captum-reference");

    public static IEnumerable<string> AllIds() =>
        System.IO.Directory.EnumerateFiles(Directory, "*.json").Select(p => System.IO.Path.GetFileNameWithoutExtension(p)!).Order(StringComparer.Ordinal);

    public static CaseFile Load(string id)
    {
        string path = System.IO.Path.Combine(Directory, id + ".json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return new CaseFile(path, doc.RootElement.Clone());
    }

    public Tensor[] Inputs() => TensorsOf(Root.GetProperty("inputs"));

    public bool Has(string kwarg) => Kwargs.TryGetProperty(kwarg, out var v) && v.ValueKind != JsonValueKind.Null;

    public JsonElement Kw(string kwarg) => Kwargs.GetProperty(kwarg);

    public bool Flag(string kwarg, bool fallback = false) => Has(kwarg) ? Kw(kwarg).GetBoolean() : fallback;

    public int Int(string kwarg, int fallback) => Has(kwarg) ? Kw(kwarg).GetInt32() : fallback;

    public bool CtorFlag(string key, bool fallback) =>
        Constructor.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v.GetBoolean() : fallback;

    /// <summary>A tensor object or an array of them.</summary>
    public static Tensor[] TensorsOf(JsonElement e) =>
        e.ValueKind == JsonValueKind.Array ? e.EnumerateArray().Select(TensorOf).ToArray() : [TensorOf(e)];

    public static bool IsTensor(JsonElement e) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("data", out _);

    public static bool IsTuple(JsonElement e) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("tuple", out _);

    public static Tensor TensorOf(JsonElement e)
    {
        var shape = e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
        string dtype = e.GetProperty("dtype").GetString()!;
        var data = e.GetProperty("data");
        return dtype switch
        {
            "int64" => tensor(data.EnumerateArray().Select(x => x.GetInt64()).ToArray(), dtype: ScalarType.Int64).reshape(shape),
            "float32" => tensor(data.EnumerateArray().Select(x => (float)x.GetDouble()).ToArray(), dtype: ScalarType.Float32).reshape(shape),
            "float64" => tensor(data.EnumerateArray().Select(x => x.GetDouble()).ToArray(), dtype: ScalarType.Float64).reshape(shape),
            _ => throw new NotSupportedException("dtype " + dtype),
        };
    }

    /// <summary>A Captum target kwarg (absent = none).</summary>
    public Target Target()
    {
        if (!Has("target")) return FluentAttrib.Target.None;
        var t = Kw("target");
        return TargetOf(t);
    }

    public static Target TargetOf(JsonElement t)
    {
        if (t.ValueKind == JsonValueKind.Number) return FluentAttrib.Target.Index(t.GetInt64());
        if (IsTuple(t)) return FluentAttrib.Target.Element(t.GetProperty("tuple").EnumerateArray().Select(x => x.GetInt64()).ToArray());
        var items = t.EnumerateArray().ToArray();
        if (items.All(x => x.ValueKind == JsonValueKind.Number)) return FluentAttrib.Target.PerExample(items.Select(x => x.GetInt64()).ToArray());
        return FluentAttrib.Target.PerExampleElements(items.Select(x => x.GetProperty("tuple").EnumerateArray().Select(y => y.GetInt64()).ToArray()).ToArray());
    }

    /// <summary>A baselines kwarg: number, tensor, or tuple of those.</summary>
    public static Baselines BaselinesOf(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Number) return e.GetDouble();
        if (IsTensor(e)) return TensorOf(e);
        if (IsTuple(e))
            return FluentAttrib.Baselines.PerInput(e.GetProperty("tuple").EnumerateArray()
                .Select(x => x.ValueKind == JsonValueKind.Number ? (object)x.GetDouble() : TensorOf(x)).ToArray());
        throw new NotSupportedException("baselines " + e);
    }

    public Baselines? Baselines() => Has("baselines") ? BaselinesOf(Kw("baselines")) : null;

    public FeatureMask? FeatureMask()
    {
        if (!Has("feature_mask")) return null;
        var e = Kw("feature_mask");
        return IsTuple(e) ? FluentAttrib.FeatureMask.PerInput(e.GetProperty("tuple").EnumerateArray().Select(TensorOf).ToArray()) : TensorOf(e);
    }

    public Quadrature? Quadrature() => Has("method") ? QuadratureOf(Kw("method").GetString()!) : null;

    public static Quadrature QuadratureOf(string name) => name switch
    {
        "gausslegendre" => FluentAttrib.Quadrature.GaussLegendre,
        "riemann_left" => FluentAttrib.Quadrature.RiemannLeft,
        "riemann_right" => FluentAttrib.Quadrature.RiemannRight,
        "riemann_middle" => FluentAttrib.Quadrature.RiemannMiddle,
        "riemann_trapezoid" => FluentAttrib.Quadrature.RiemannTrapezoid,
        _ => throw new NotSupportedException("method " + name),
    };
}
