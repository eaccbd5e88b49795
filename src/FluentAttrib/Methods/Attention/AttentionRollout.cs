using FluentAttrib.Core;
using FluentAttrib.Core.Attention;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Attention rollout (Abnar and Zuidema, 2020, "Quantifying Attention Flow in Transformers"): each layer's attention,
/// heads fused (mean by default), plus the identity for the residual connection and renormalised, Ã = (A + I) / rowsum,
/// is multiplied through the layers, R = Ã_L ⋯ Ã_1; the relevance of input token j is R[i, j] for the output token i
/// read (the first token, or the mean over the real tokens with <see cref="AttentionReadout.MeanOfTokens"/>).
/// Result: (N, L), non-negative, summing to 1 over the real tokens of each example; padding gets 0.
/// It ignores the target: it describes how information mixes, not what the output depends on.
/// </summary>
/// <remarks>
/// Runs one forward pass (no gradient). The attention is read from the model's <c>Softmax</c> modules, or the
/// modules named with <see cref="MethodSettingExtensions.AttentionLayers{TMethod}"/>; each must output (N, heads, L, L)
/// for inputs of L tokens. Padding is recognised as the tokens that receive no attention in the first layer. Not in
/// Captum; the reference is Abnar's code (attention_graph_util) and jacobgil's vit-explain.
/// </remarks>
public sealed record AttentionRollout : AttributionMethod, IAttentionSetting, IHeadFusionSetting
{
    private AttentionRollout(SettingValues values) : base(values) { }

    /// <summary>Mean over heads, every Softmax module, relevance for the first token.</summary>
    public static AttentionRollout Default { get; } = new(new SettingValues());

    /// <summary>The method's settings, read back by name (<c>Settings.Readout</c>, <c>Settings.HeadFusion</c>, <c>Settings.AttentionLayers</c>).</summary>
    public MethodSettings<AttentionRollout> Settings => new(Values);

    /// <inheritdoc />
    public override string Describe() => $"{Name}({Values.HeadFusion}, {Values.Readout})";

    internal override Attribution Attribute(AttributionContext context)
    {
        using var scope = NewDisposeScope();
        var layers = AttentionMaps.Resolve(context, Values, Name);
        var (maps, dtype) = AttentionMaps.Capture(context, layers, Name);
        var real = AttentionMaps.RealTokens(maps[0]);
        Tensor? rollout = null;
        foreach (var map in maps)
        {
            var a = AttentionMaps.WithResidual(AttentionMaps.Fuse(map, Values.HeadFusion));
            rollout = rollout is null ? a : a.matmul(rollout);
            context.ThrowIfCancelled();
        }
        var relevance = AttentionMaps.Read(rollout!, real, Values.Readout);
        context.Report(Name, 1, 1);
        return Result(context, [relevance.to(dtype).MoveToOuterDisposeScope()]);
    }
}
