using System.Text.Json;
using FluentAttrib.Tests.Text;
using FluentAttrib.Text;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Conformance;

/// <summary>
/// Runs every case in Conformance/llm-reference (Captum 0.8's LLMAttribution / LLMGradientAttribution on stand-in
/// causal LMs, see SCHEMA.md there) through the public language-model API and compares input tokens, output tokens,
/// target ids exactly and the sequence and token attributions within the case's tolerance. A new JSON file dropped
/// there is picked up with no code change.
/// </summary>
public class LlmConformanceTests
{
    private static string Folder => Path.Combine(AppContext.BaseDirectory, "Conformance", "llm-reference");

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Folder, "*.json").OrderBy(f => f, StringComparer.Ordinal)) data.Add(Path.GetFileNameWithoutExtension(f));
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_captum(string id)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, id + ".json")));
        var c = doc.RootElement;
        using var scope = NewDisposeScope();
        var model = StandInLanguageModels.Build(c.GetProperty("model"));
        var tokenizer = Tokenizer(c.GetProperty("tokenizer"));
        var input = Input(c.GetProperty("input"), tokenizer);
        var kw = c.GetProperty("attribute_kwargs");

        var explainer = Fluent.ExplainLanguageModel(model, tokenizer).For(TargetOf(kw, tokenizer, c.GetProperty("model")));
        if (c.GetProperty("wrapper_kwargs").TryGetProperty("attr_target", out var attrTarget) && attrTarget.GetString() == "prob")
            explainer = explainer.Score(TokenScore.Probability);
        string algorithm = c.GetProperty("algorithm").GetString()!;
        var run = c.GetProperty("wrapper").GetString() == "LLMGradientAttribution"
            ? explainer.At(c.GetProperty("constructor").GetProperty("layer").GetString()!).With(GradientMethod(algorithm, kw))
            : explainer.With(PerturbationMethod(algorithm, kw, c.GetProperty("constructor")));
        using var result = run.Attribute(input);

        var expected = c.GetProperty("expected");
        Assert.Equal(Strings(expected.GetProperty("input_tokens")), result.InputTokens);
        Assert.Equal(Strings(expected.GetProperty("output_tokens")), result.OutputTokens);
        Assert.Equal(expected.GetProperty("target_token_ids").EnumerateArray().Select(x => x.GetInt64()), result.TargetTokenIds);
        var tolerance = c.GetProperty("tolerance");
        double rtol = tolerance.GetProperty("rtol").GetDouble(), atol = tolerance.GetProperty("atol").GetDouble();
        AssertClose(CaseFile.TensorOf(expected.GetProperty("seq_attr")), result.SequenceAttribution, rtol, atol, "seq_attr");
        if (expected.GetProperty("token_attr").ValueKind == JsonValueKind.Null)
            Assert.Null(result.TokenAttribution);
        else
            AssertClose(CaseFile.TensorOf(expected.GetProperty("token_attr")), result.TokenAttribution!, rtol, atol, "token_attr");
        var dtype = expected.GetProperty("captum_dtype").GetString() == "float32" ? ScalarType.Float32 : ScalarType.Float64;
        Assert.Equal(dtype, result.SequenceAttribution.dtype);

        // The step scores are the unperturbed target log-probabilities Captum's wrapper saw.
        var logProbs = CaseFile.TensorOf(c.GetProperty("diagnostics").GetProperty("target_log_probs"));
        AssertClose(logProbs.exp(), result.Probabilities, 1e-9, 1e-12, "probabilities");
    }

    internal static WordTokenizer Tokenizer(JsonElement t) =>
        new(Strings(t.GetProperty("vocab")), t.GetProperty("unk_token").GetString()!, t.GetProperty("bos_token").GetString(), t.GetProperty("eos_token").GetString());

    private static string[] Strings(JsonElement e) => e.EnumerateArray().Select(x => x.GetString()!).ToArray();

    private static TokenRef Token(JsonElement e) => e.ValueKind == JsonValueKind.Number ? TokenRef.Id(e.GetInt32()) : TokenRef.Token(e.GetString()!);

    private static TokenRef[] Tokens(JsonElement parent, string key) =>
        parent.TryGetProperty(key, out var e) && e.ValueKind != JsonValueKind.Null ? e.EnumerateArray().Select(Token).ToArray() : [];

    private static InterpretableText Input(JsonElement i, ITextTokenizer tokenizer)
    {
        if (i.GetProperty("type").GetString() == "TextTokenInput")
            return new TextTokenInput(i.GetProperty("text").GetString()!, tokenizer,
                i.TryGetProperty("baselines", out var b) ? Token(b) : default, Tokens(i, "skip_tokens"));
        string template = i.GetProperty("template").GetString()!;
        var values = i.GetProperty("values");
        i.TryGetProperty("baselines", out var baselines);
        i.TryGetProperty("mask", out var mask);
        bool hasBaselines = baselines.ValueKind is JsonValueKind.Object or JsonValueKind.Array;
        bool hasMask = mask.ValueKind is JsonValueKind.Object or JsonValueKind.Array;
        if (values.ValueKind == JsonValueKind.Array)
            return new TextTemplateInput(template, Strings(values), tokenizer,
                hasBaselines ? Strings(baselines) : null, hasMask ? mask.EnumerateArray().Select(x => x.GetInt32()).ToArray() : null);
        return new TextTemplateInput(template, values.EnumerateObject().Select(p => KeyValuePair.Create(p.Name, p.Value.GetString()!)).ToList(), tokenizer,
            hasBaselines ? baselines.EnumerateObject().Select(p => KeyValuePair.Create(p.Name, p.Value.GetString()!)).ToList() : null,
            hasMask ? mask.EnumerateObject().Select(p => KeyValuePair.Create(p.Name, p.Value.GetInt32())).ToList() : null);
    }

    private static TextTarget TargetOf(JsonElement kw, ITextTokenizer tokenizer, JsonElement model)
    {
        var skip = Tokens(kw, "skip_tokens");
        if (kw.TryGetProperty("target", out var t) && t.ValueKind != JsonValueKind.Null)
            return t.ValueKind == JsonValueKind.String
                ? TextTarget.Continuation(t.GetString()!, skip)
                : TextTarget.Tokens(CaseFile.TensorOf(t).data<long>().ToArray(), skip);
        int maxNew = kw.TryGetProperty("gen_args", out var g) && g.TryGetProperty("max_new_tokens", out var m) ? m.GetInt32() : Defaults.GeneratedTokens;
        if (g.ValueKind == JsonValueKind.Object && g.TryGetProperty("do_sample", out var sample)) Assert.False(sample.GetBoolean());
        return TextTarget.Generation(maxNew, TokenRef.Id(model.GetProperty("config").GetProperty("eos_token_id").GetInt32()));
    }

    private static AttributionMethod PerturbationMethod(string algorithm, JsonElement kw, JsonElement ctor)
    {
        int? samples = kw.TryGetProperty("n_samples", out var n) ? n.GetInt32() : null;
        AttributionMethod method = algorithm switch
        {
            "FeatureAblation" => FeatureAblation.Default,
            "ShapleyValues" => ShapleyValues.Default,
            "ShapleyValueSampling" => ShapleyValueSampling.Samples(samples ?? Defaults.ShapleyValueSamplingSamples).Seed(1234),
            "KernelShap" => KernelShap.Samples(samples ?? Defaults.KernelShapSamples).Seed(1234),
            "Lime" => Lime.Samples(samples ?? Defaults.LimeSamples).Seed(1234).Surrogate(
                ctor.GetProperty("interpretable_model").GetProperty("type").GetString() == "SkLearnLinearRegression"
                    ? SurrogateModel.LinearRegression : throw new NotSupportedException("interpretable model")),
            _ => throw new NotSupportedException(algorithm),
        };
        if (kw.TryGetProperty("feature_mask", out var mask))
        {
            FeatureMask featureMask = CaseFile.TensorOf(mask);
            method = method switch
            {
                FeatureAblation fa => fa.Mask(featureMask),
                ShapleyValues sv => sv.Mask(featureMask),
                ShapleyValueSampling svs => svs.Mask(featureMask),
                KernelShap ks => ks.Mask(featureMask),
                Lime lime => lime.Mask(featureMask),
                _ => method,
            };
        }
        return method;
    }

    private static LayerAttributionMethod GradientMethod(string algorithm, JsonElement kw)
    {
        if (algorithm == "LayerGradientXActivation") return LayerGradientXActivation.Default;
        Assert.Equal("LayerIntegratedGradients", algorithm);
        var lig = LayerIntegratedGradients.Steps(kw.TryGetProperty("n_steps", out var s) ? s.GetInt32() : Defaults.Steps);
        if (kw.TryGetProperty("method", out var q)) lig = lig.Quadrature(CaseFile.QuadratureOf(q.GetString()!));
        if (kw.TryGetProperty("baselines", out var b)) lig = lig.Baseline(CaseFile.TensorOf(b).to(ScalarType.Float64));
        return lig;
    }

    private static void AssertClose(Tensor expected, Tensor actual, double rtol, double atol, string what)
    {
        Assert.True(expected.shape.SequenceEqual(actual.shape), $"{what}: shape ({string.Join(",", actual.shape)}) but Captum gives ({string.Join(",", expected.shape)})");
        var e = expected.to(ScalarType.Float64).data<double>().ToArray();
        var a = actual.to(ScalarType.Float64).cpu().data<double>().ToArray();
        for (int k = 0; k < e.Length; k++)
            Assert.True(Math.Abs(a[k] - e[k]) <= atol + rtol * Math.Abs(e[k]),
                $"{what}: element {k} is {a[k]:R}, Captum gives {e[k]:R} (rtol {rtol}, atol {atol}); all: [{string.Join(", ", a.Select(x => x.ToString("G6")))}] vs [{string.Join(", ", e.Select(x => x.ToString("G6")))}]");
    }
}
