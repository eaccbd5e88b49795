using System.Text.Json;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Conformance;

/// <summary>
/// Runs every pytorch-grad-cam 1.5.5 reference case in Conformance/gradcam-reference (see its SCHEMA.md) through the
/// public fluent API: the CAM (each example against any of the sign variants), the raw per-layer maps (up to sign where
/// they are projections) and the channel weights, each with the case's own tolerance. A new JSON file dropped there
/// is picked up with no code change.
/// </summary>
public class GradCamConformanceTests
{
    private static string Directory => Path.Combine(AppContext.BaseDirectory, "Conformance", "gradcam-reference");

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var p in System.IO.Directory.EnumerateFiles(Directory, "*.json").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileNameWithoutExtension(p));
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_pytorch_grad_cam(string id)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Directory, id + ".json")));
        var c = doc.RootElement;
        using var scope = NewDisposeScope();
        var built = ModelBuilder.Build(c.GetProperty("model"));
        var input = CaseFile.TensorOf(c.GetProperty("input"));
        var expected = c.GetProperty("expected");
        var tolerance = c.GetProperty("tolerance");

        // The map: each example must match one of the sign variants (SCHEMA §6).
        var cam = Run(c, built, input, CamOutput.Map);
        Assert.Single(cam.Values);
        var variants = expected.TryGetProperty("sign_variants", out var sv)
            ? sv.EnumerateArray().Select(v => CaseFile.TensorOf(v.GetProperty("cam"))).ToArray()
            : [CaseFile.TensorOf(expected.GetProperty("cam"))];
        var (camRtol, camAtol) = Tol(tolerance.GetProperty("cam"));
        for (long b = 0; b < input.shape[0]; b++)
        {
            var actual = cam.Value[b];
            var failures = variants.Select(v => Mismatch(v[b], actual, camRtol, camAtol)).ToArray();
            Assert.True(failures.Any(f => f is null), $"{id}: cam of example {b} matches no sign variant: {string.Join(" | ", failures)}");
        }

        // The raw per-layer maps (FullGrad: its unscaled terms), up to sign where they are projections.
        bool ambiguous = expected.GetProperty("raw_sign_ambiguous").GetBoolean();
        var raw = Run(c, built, input, CamOutput.Raw);
        var wantRaw = expected.GetProperty("raw_per_layer").EnumerateArray().Select(CaseFile.TensorOf).ToArray();
        var rawTol = tolerance.GetProperty("raw_per_layer").EnumerateArray().Select(Tol).ToArray();
        Assert.Equal(wantRaw.Length, raw.Values.Count);
        for (int l = 0; l < wantRaw.Length; l++)
            for (long b = 0; b < input.shape[0]; b++)
            {
                var e = wantRaw[l][b];
                var a = raw.Values[l][b];
                var plain = Mismatch(e, a, rawTol[l].Rtol, rawTol[l].Atol);
                var flipped = ambiguous ? Mismatch(-e, a, rawTol[l].Rtol, rawTol[l].Atol) : plain;
                Assert.True(plain is null || flipped is null, $"{id}: raw map of layer {l}, example {b}: {plain}");
            }

        // The channel weights.
        if (expected.TryGetProperty("weights_per_layer", out var wj))
        {
            var weights = Run(c, built, input, CamOutput.Weights);
            var want = wj.EnumerateArray().Select(CaseFile.TensorOf).ToArray();
            var wTol = tolerance.GetProperty("weights_per_layer").EnumerateArray().Select(Tol).ToArray();
            Assert.Equal(want.Length, weights.Values.Count);
            for (int l = 0; l < want.Length; l++)
            {
                var m = Mismatch(want[l], weights.Values[l], wTol[l].Rtol, wTol[l].Atol);
                Assert.True(m is null, $"{id}: weights of layer {l}: {m}");
            }
        }
    }

    /// <summary>The case's call, through the public API, with the given output.</summary>
    private static Attribution Run(JsonElement c, ModelBuilder.Built built, Tensor input, CamOutput output)
    {
        var call = c.GetProperty("call");
        var ctor = c.GetProperty("constructor");
        string method = c.GetProperty("method").GetString()!;
        bool aug = call.TryGetProperty("aug_smooth", out var a) && a.GetBoolean();
        bool eigen = call.GetProperty("eigen_smooth").GetBoolean();
        var target = TargetOf(call.GetProperty("targets"));
        var layers = ctor.GetProperty("target_layers").EnumerateArray().Select(l => (Layer)l.GetString()!).ToArray();
        var explainer = built.Explainer.For(target);
        if (method == "FullGrad")
            return explainer.With(FullGrad.Default.AugSmooth(aug).EigenSmooth(eigen).Output(output)).Attribute(input);
        CamMethod cam = method switch
        {
            "GradCAM" => GradCam.Default.AugSmooth(aug).EigenSmooth(eigen).Output(output),
            "HiResCAM" => HiResCam.Default.AugSmooth(aug).EigenSmooth(eigen).Output(output),
            "GradCAMElementWise" => GradCamElementWise.Default.AugSmooth(aug).EigenSmooth(eigen).Output(output),
            "GradCAMPlusPlus" => GradCamPlusPlus.Default.AugSmooth(aug).EigenSmooth(eigen).Output(output),
            "XGradCAM" => XGradCam.Default.AugSmooth(aug).EigenSmooth(eigen).Output(output),
            "LayerCAM" => LayerCam.Default.AugSmooth(aug).EigenSmooth(eigen).Output(output),
            "ScoreCAM" => ScoreCam.Default.AugSmooth(aug).EigenSmooth(eigen).Output(output),
            "AblationCAM" => AblationCam.Default.ChannelRatio(ctor.GetProperty("ratio_channels_to_ablate").GetDouble())
                .PerturbationsPerPass(ctor.GetProperty("batch_size").GetInt32()).AugSmooth(aug).EigenSmooth(eigen).Output(output),
            "EigenCAM" => EigenCam.Default.AugSmooth(aug).EigenSmooth(eigen).Output(output),
            "EigenGradCAM" => EigenGradCam.Default.AugSmooth(aug).EigenSmooth(eigen).Output(output),
            "ShapleyCAM" => ShapleyCam.Default.AugSmooth(aug).EigenSmooth(eigen).Output(output),
            "FinerCAM" => Finer(call, ctor).EigenSmooth(eigen).Output(output),
            _ => throw new NotSupportedException("method " + method),
        };
        return explainer.At(layers).With(cam).Attribute(input);
    }

    private static FinerCam Finer(JsonElement call, JsonElement ctor)
    {
        if (ctor.TryGetProperty("base_method", out var bm)) Assert.Equal("GradCAM", bm.GetString());
        var finer = FinerCam.Default.Alpha(call.GetProperty("alpha").GetDouble())
            .ComparisonRanks(call.GetProperty("comparison_categories").EnumerateArray().Select(x => x.GetInt32()).ToArray());
        if (call.TryGetProperty("target_idx", out var idx) && idx.ValueKind == JsonValueKind.Number) finer = finer.MainClass(idx.GetInt64());
        return finer;
    }

    /// <summary>The case's targets (SCHEMA §4): null, or one per example.</summary>
    private static Target TargetOf(JsonElement targets)
    {
        if (targets.ValueKind == JsonValueKind.Null) return Target.None;
        return Target.PerExampleTargets(targets.EnumerateArray().Select(t => t.GetProperty("type").GetString() switch
        {
            "ClassifierOutputTarget" => Target.Index(t.GetProperty("category").GetInt64()),
            "ClassifierOutputSoftmaxTarget" => Target.Softmax(t.GetProperty("category").GetInt64()),
            "BinaryClassifierOutputTarget" => Target.Binary(t.GetProperty("category").GetInt32()),
            "SemanticSegmentationTarget" => Target.Segmentation(t.GetProperty("category").GetInt64(), CaseFile.TensorOf(t.GetProperty("mask"))),
            "FinerWeightedTarget" => Target.FinerWeighted(t.GetProperty("main_category").GetInt64(),
                t.GetProperty("comparison_categories").EnumerateArray().Select(x => x.GetInt64()).ToArray(), t.GetProperty("alpha").GetDouble()),
            var other => throw new NotSupportedException("target " + other),
        }).ToArray());
    }

    private static (double Rtol, double Atol) Tol(JsonElement t) => (t.GetProperty("rtol").GetDouble(), t.GetProperty("atol").GetDouble());

    /// <summary>Null when |actual − expected| ≤ atol + rtol·|expected| everywhere with equal shapes, else what differs.</summary>
    private static string? Mismatch(Tensor expected, Tensor actual, double rtol, double atol)
    {
        if (!expected.shape.SequenceEqual(actual.shape))
            return $"shape ({string.Join(",", actual.shape)}) but pytorch-grad-cam gives ({string.Join(",", expected.shape)})";
        var e = expected.to(ScalarType.Float64).cpu().data<double>().ToArray();
        var a = actual.detach().to(ScalarType.Float64).cpu().data<double>().ToArray();
        for (int k = 0; k < e.Length; k++)
            if (!(Math.Abs(a[k] - e[k]) <= atol + rtol * Math.Abs(e[k])))
                return $"element {k} is {a[k]:R}, pytorch-grad-cam gives {e[k]:R} (rtol {rtol}, atol {atol})";
        return null;
    }
}
