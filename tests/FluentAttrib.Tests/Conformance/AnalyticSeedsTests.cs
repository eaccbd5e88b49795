using System.Text.Json;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Conformance;

/// <summary>
/// The analytic (RNG-independent) reference cases of the stochastic methods this branch adds, rerun with several
/// seeds of torch's default generator: the closed form must hold whatever the draws.
/// </summary>
public class AnalyticSeedsTests
{
    private static readonly string[] Algorithms = ["Lime", "KernelShap", "NoiseTunnel", "infidelity", "sensitivity_max"];

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var id in CaseFile.AllIds())
        {
            var c = CaseFile.Load(id);
            if (Algorithms.Contains(c.Algorithm) && c.Root.TryGetProperty("analytic", out var a) && a.ValueKind == JsonValueKind.True)
                data.Add(id);
        }
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void Analytic_case_holds_for_any_seed(string id)
    {
        var c = CaseFile.Load(id);
        var runner = Runners.Find(c.Algorithm)!;
        using var scope = NewDisposeScope();
        var model = ModelBuilder.Build(c.Root.GetProperty("model"));
        var expected = c.Expected;
        string key = expected.TryGetProperty("attributions", out _) ? "attributions" : "metric";
        var want = CaseFile.TensorsOf(expected.GetProperty(key));
        foreach (long seed in new long[] { 0, 1, 2, 3, 99 })
        {
            manual_seed(seed);
            var got = runner(c, model).Values;
            for (int i = 0; i < want.Length; i++)
            {
                var diff = (got[i].to(ScalarType.Float64) - want[i].to(ScalarType.Float64)).abs();
                var allowed = want[i].to(ScalarType.Float64).abs() * c.Rtol + c.Atol;
                Assert.True((diff <= allowed).all().item<bool>(), $"seed {seed}: {key}[{i}] differs by up to {diff.max().item<double>():R}");
            }
        }
    }
}
