using System.Reflection;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Conformance;

/// <summary>Marks a runner of one Captum algorithm (its class name as the cases spell it).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class CaptumAlgorithmAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}

/// <summary>What a runner produced: the main result (one tensor per tuple element) and the delta, if any.</summary>
public sealed record CaseResult(Tensor[] Values, Tensor? Delta = null)
{
    public static CaseResult From(Attribution a) => new([.. a.Values], a.Delta);
}

/// <summary>
/// Runners translate a case's Captum kwargs into the public fluent API. One partial file per family; a runner is a
/// static method <c>CaseResult X(CaseFile c, ModelBuilder.Built m)</c> tagged with the algorithm it runs.
/// </summary>
public static partial class Runners
{
    private static readonly Lazy<Dictionary<string, Func<CaseFile, ModelBuilder.Built?, CaseResult>>> All = new(() =>
    {
        var map = new Dictionary<string, Func<CaseFile, ModelBuilder.Built?, CaseResult>>();
        foreach (var m in typeof(Runners).GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public))
            foreach (var a in m.GetCustomAttributes<CaptumAlgorithmAttribute>())
                map.Add(a.Name, (c, b) => (CaseResult)m.Invoke(null, [c, b])!);
        return map;
    });

    public static Func<CaseFile, ModelBuilder.Built?, CaseResult>? Find(string algorithm) =>
        All.Value.TryGetValue(algorithm, out var f) ? f : null;
}
