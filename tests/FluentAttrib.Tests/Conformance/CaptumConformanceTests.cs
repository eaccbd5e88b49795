using System.Text.Json;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Conformance;

/// <summary>
/// Runs every reference case in Conformance/captum-reference through the public fluent API and compares with Captum's
/// output using the case's tolerance. A new JSON file dropped there is picked up with no code change.
/// </summary>
public class CaptumConformanceTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var id in CaseFile.AllIds()) data.Add(id);
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void Matches_captum(string id)
    {
        var c = CaseFile.Load(id);
        var runner = Runners.Find(c.Algorithm);
        Assert.True(runner is not null, $"Case {id}: no runner for the algorithm {c.Algorithm}. Every case must run: add a runner.");
        using var scope = NewDisposeScope();
        var model = c.Root.GetProperty("model").ValueKind == JsonValueKind.Null ? null : ModelBuilder.Build(c.Root.GetProperty("model"));
        var result = runner!(c, model);

        var expected = c.Expected;
        string mainKey = expected.TryGetProperty("attributions", out _) ? "attributions" : expected.TryGetProperty("metric", out _) ? "metric" : "output";
        var want = CaseFile.TensorsOf(expected.GetProperty(mainKey));
        Assert.Equal(want.Length, result.Values.Length);
        for (int i = 0; i < want.Length; i++) AssertClose(want[i], result.Values[i], c, $"{mainKey}[{i}]");
        if (expected.TryGetProperty("delta", out var deltaJson))
        {
            Assert.True(result.Delta is not null, "the case expects a convergence delta but none was returned");
            AssertClose(CaseFile.TensorOf(deltaJson), result.Delta!, c, "delta");
        }
    }

    internal static void AssertClose(Tensor expected, Tensor actual, CaseFile c, string what)
    {
        Assert.True(expected.shape.SequenceEqual(actual.shape),
            $"{what}: shape ({string.Join(",", actual.shape)}) but Captum gives ({string.Join(",", expected.shape)})");
        var e = expected.to(ScalarType.Float64).cpu().data<double>().ToArray();
        var a = actual.detach().to(ScalarType.Float64).cpu().data<double>().ToArray();
        double worst = 0;
        int worstAt = -1;
        for (int k = 0; k < e.Length; k++)
        {
            double excess = Math.Abs(a[k] - e[k]) - (c.Atol + c.Rtol * Math.Abs(e[k]));
            if (!(excess <= 0) && (worstAt < 0 || excess > worst || double.IsNaN(excess))) { worst = excess; worstAt = k; }
        }
        Assert.True(worstAt < 0,
            worstAt < 0 ? "" : $"{what}: element {worstAt} is {a[worstAt]:R}, Captum gives {e[worstAt]:R} (rtol {c.Rtol}, atol {c.Atol})");
    }
}
