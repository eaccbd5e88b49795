using System.Reflection;
using System.Text.Json;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Conformance;

/// <summary>Marks a runner of one Quantus metric (its class name as the cases spell it).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class QuantusMetricAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}

/// <summary>
/// Runs every Quantus reference case in Conformance/quantus-reference through the public fluent API
/// (<c>Explain(model).For(y).Evaluate(metric, x, a[, s])</c>) and compares with Quantus's scores using the case's
/// tolerance (floats) or exactly (bools, ints, ROAD's 0/1 rows). A new JSON file dropped there is picked up with no code change.
/// </summary>
public class QuantusConformanceTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var id in QuantusCase.AllIds()) data.Add(id);
        return data;
    }

    private static readonly Lazy<Dictionary<string, Func<QuantusCase, ModelBuilder.Built, Tensor>>> Runners = new(() =>
    {
        var map = new Dictionary<string, Func<QuantusCase, ModelBuilder.Built, Tensor>>();
        foreach (var m in typeof(QuantusRunners).GetMethods(BindingFlags.Static | BindingFlags.Public))
            if (m.GetCustomAttribute<QuantusMetricAttribute>() is { } a)
                map.Add(a.Name, (c, b) => (Tensor)m.Invoke(null, [c, b])!);
        return map;
    });

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_quantus(string id)
    {
        var c = QuantusCase.Load(id);
        Assert.True(Runners.Value.TryGetValue(c.Metric, out var runner), $"Case {id}: no runner for the metric {c.Metric}. Every case must run: add a runner.");
        using var scope = NewDisposeScope();
        var model = ModelBuilder.Build(c.Root.GetProperty("model"));
        var result = runner!(c, model);
        Compare(c, result);
    }

    private static void Compare(QuantusCase c, Tensor result)
    {
        var expected = c.Expected;
        string returns = expected.GetProperty("returns").GetString()!;
        string type = expected.GetProperty("score_type").GetString()!;
        var scores = expected.GetProperty("scores");
        switch (type)
        {
            case "bool":
                Assert.Equal(ScalarType.Bool, result.dtype);
                Assert.Equal(scores.EnumerateArray().Select(e => e.GetBoolean()).ToArray(), result.cpu().data<bool>().ToArray());
                break;
            case "int":
                Assert.Equal(ScalarType.Int64, result.dtype);
                Assert.Equal(scores.EnumerateArray().Select(e => e.GetInt64()).ToArray(), result.cpu().data<long>().ToArray());
                break;
            case "int_curve":
            {
                var want = scores.EnumerateArray().Select(r => r.EnumerateArray().Select(e => e.GetInt64()).ToArray()).ToArray();
                Assert.Equal([want.Length, want[0].Length], result.shape);
                var got = result.to(ScalarType.Int64).cpu().data<long>().ToArray();
                Assert.Equal(want.SelectMany(r => r).ToArray(), got);
                break;
            }
            case "float":
                AssertClose(c, scores.EnumerateArray().Select(e => e.GetDouble()).ToArray(), [scores.GetArrayLength()], result, "scores");
                break;
            case "float_curve":
            {
                var want = scores.EnumerateArray().Select(r => r.EnumerateArray().Select(e => e.GetDouble()).ToArray()).ToArray();
                AssertClose(c, want.SelectMany(r => r).ToArray(), [want.Length, want[0].Length], result, "curves");
                break;
            }
            default:
                throw new NotSupportedException("score_type " + type);
        }
        if (returns == "aggregate")
            AssertClose(c, [expected.GetProperty("aggregate").GetDouble()], [], result.to(ScalarType.Float64).mean(), "aggregate");
        if (returns == "percentage_curve")
        {
            var curve = expected.GetProperty("percentage_curve").GetProperty("scores").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            AssertClose(c, curve, [curve.Length], result.to(ScalarType.Float64).mean([0L]), "percentage curve");
        }
    }

    private static void AssertClose(QuantusCase c, double[] expected, long[] shape, Tensor actual, string what)
    {
        Assert.True(shape.SequenceEqual(actual.shape), $"{what}: shape ({string.Join(",", actual.shape)}) but Quantus gives ({string.Join(",", shape)})");
        Assert.Equal(ScalarType.Float64, actual.dtype);
        var a = actual.detach().cpu().contiguous().data<double>().ToArray();
        for (int k = 0; k < expected.Length; k++)
            Assert.True(Math.Abs(a[k] - expected[k]) <= c.Atol + c.Rtol * Math.Abs(expected[k]),
                $"{what}: element {k} is {a[k]:R}, Quantus gives {expected[k]:R} (rtol {c.Rtol}, atol {c.Atol})");
    }
}
