using FluentAttrib.Core;
using FluentAttrib.Core.Attention;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Attention flow (Abnar and Zuidema, 2020): the layers' attention, heads fused and with the residual connection as in
/// <see cref="AttentionRollout"/>, becomes a layered graph — a node per token per layer, an edge from token j below to
/// token i above with capacity Ã[i, j] — and the relevance of input token j is the value of a maximum flow from j at
/// the bottom to the output token read at the top (the first token, or the mean of the flows to every real token with
/// <see cref="AttentionReadout.MeanOfTokens"/>). Result: (N, L), each value in [0, 1]; padding gets 0.
/// </summary>
/// <remarks>
/// One forward pass, then one maximum-flow problem per input token and output token read (Dinic's algorithm), on the
/// CPU: (layers + 1)·L nodes. With <see cref="AttentionReadout.MeanOfTokens"/> that is L² problems per example
/// (about a second for L = 32, 6 layers); progress counts examples. Ignores the target, as rollout does.
/// </remarks>
public sealed record AttentionFlow : AttributionMethod, IAttentionSetting, IHeadFusionSetting
{
    private AttentionFlow(SettingValues values) : base(values) { }

    /// <summary>Mean over heads, every Softmax module, relevance for the first token.</summary>
    public static AttentionFlow Default { get; } = new(new SettingValues());

    /// <summary>The method's settings, read back by name (<c>Settings.Readout</c>, <c>Settings.HeadFusion</c>, <c>Settings.AttentionLayers</c>).</summary>
    public MethodSettings<AttentionFlow> Settings => new(Values);

    /// <inheritdoc />
    public override string Describe() => $"{Name}({Values.HeadFusion}, {Values.Readout})";

    internal override Attribution Attribute(AttributionContext context)
    {
        using var scope = NewDisposeScope();
        var layers = AttentionMaps.Resolve(context, Values, Name);
        var (maps, dtype) = AttentionMaps.Capture(context, layers, Name);
        var real = AttentionMaps.RealTokens(maps[0]).cpu();
        var fused = maps.Select(m => AttentionMaps.WithResidual(AttentionMaps.Fuse(m, Values.HeadFusion)).cpu().contiguous()).ToArray();
        int n = (int)fused[0].shape[0], length = (int)fused[0].shape[1], depth = fused.Length;
        var result = new double[n * length];
        var realFlags = real.to(ScalarType.Bool).data<bool>().ToArray();
        var matrices = fused.Select(f => f.data<double>().ToArray()).ToArray();
        for (int e = 0; e < n; e++)
        {
            context.ThrowIfCancelled();
            var tokens = Enumerable.Range(0, length).Where(t => realFlags[e * length + t]).ToArray();
            int m = tokens.Length;
            if (m == 0) continue;
            var graph = new MaxFlow((depth + 1) * m);
            for (int l = 0; l < depth; l++)
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < m; j++)
                        graph.AddEdge(l * m + j, (l + 1) * m + i, matrices[l][(long)e * length * length + tokens[i] * length + tokens[j]]);
            int[] outputs = Values.Readout == AttentionReadout.FirstToken ? (tokens[0] == 0 ? [0] : []) : [.. Enumerable.Range(0, m)];
            foreach (int i in outputs)
                for (int j = 0; j < m; j++)
                    result[e * length + tokens[j]] += graph.Compute(j, depth * m + i) / outputs.Length;
            context.Report(Name, e + 1, n);
        }
        var relevance = tensor(result, [n, length]).to(dtype, maps[0].device);
        return Result(context, [relevance.MoveToOuterDisposeScope()]);
    }
}
