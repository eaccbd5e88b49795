using FluentAttrib.Core;
using FluentAttrib.Core.Attention;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Gradient-weighted attention rollout (Chefer, Gur and Wolf, 2021, "Generic Attention-model Explainability"): each
/// layer's attention is weighted by the target's gradient with respect to it, the positive part averaged over heads,
/// Ā = E_h[(∇A ⊙ A)⁺], and accumulated through the layers with the residual connection, R ← R + Ā·R from R = I.
/// The relevance of input token j is (R − I)[i, j] for the output token i read (the first token, or the mean over the
/// real tokens with <see cref="AttentionReadout.MeanOfTokens"/>): the identity every token starts with is removed, so
/// only relevance that arrives through attention counts. Result: (N, L), non-negative; padding gets 0.
/// </summary>
/// <remarks>
/// Class- (target-) specific, unlike <see cref="AttentionRollout"/>: one forward and one backward pass. Works with any
/// target, including function targets (<see cref="Target.Score(Func{Tensor, Tensor}, string?)"/>). The attention is
/// read as <see cref="AttentionRollout"/> reads it. Not in Captum; the reference is Chefer's
/// Transformer-MM-Explainability code.
/// </remarks>
public sealed record GradientWeightedRollout : AttributionMethod, IAttentionSetting
{
    private GradientWeightedRollout(SettingValues values) : base(values) { }

    /// <summary>Every Softmax module, relevance for the first token.</summary>
    public static GradientWeightedRollout Default { get; } = new(new SettingValues());

    /// <summary>The method's settings, read back by name (<c>Settings.Readout</c>, <c>Settings.AttentionLayers</c>).</summary>
    public MethodSettings<GradientWeightedRollout> Settings => new(Values);

    /// <inheritdoc />
    public override string Describe() => $"{Name}({Values.Readout})";

    internal override Attribution Attribute(AttributionContext context)
    {
        using var scope = NewDisposeScope();
        var layers = AttentionMaps.Resolve(context, Values, Name);
        var (maps, grads, dtype) = AttentionMaps.CaptureWithGradients(context, layers, Name);
        var real = AttentionMaps.RealTokens(maps[0]);
        long length = maps[0].shape[^1];
        var identity = eye(length, dtype: ScalarType.Float64, device: maps[0].device).expand(maps[0].shape[0], length, length);
        var r = identity.clone();
        for (int l = 0; l < maps.Length; l++)
        {
            var weighted = (grads[l] * maps[l]).clamp_min(0).mean([1]);
            r = r + weighted.matmul(r);
        }
        var relevance = AttentionMaps.Read(r - identity, real, Values.Readout);
        context.Report(Name, 1, 1);
        return Result(context, [relevance.to(dtype).MoveToOuterDisposeScope()]);
    }
}
