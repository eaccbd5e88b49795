using FluentAttrib.Architectures;
using TorchSharp;
using TorchSharp.Modules;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Attention;

/// <summary>
/// AttnLRP / CP-LRP on a tiny random BERT whose biases are all zero: there nothing absorbs relevance, so CP-LRP's rules
/// (identity through GELU, constant LayerNorm deviation, constant attention, uniform products) must conserve it exactly
/// from the output down to the summed embeddings, while plain gradient × activation does not.
/// </summary>
public sealed class AttnLrpTests : IDisposable
{
    private readonly ExplainableBert _model;
    private readonly Tensor _ids = tensor(new long[] { 1, 5, 9, 3, 2, 1, 7, 2, 11, 4 }, [2, 5]);
    private readonly Tensor _mask = ones(2, 5, dtype: ScalarType.Int64);

    public AttnLrpTests()
    {
        torch.manual_seed(11);
        _model = new ExplainableBert(new BertConfig(30, 8, 2, 2, 16, MaxPositions: 16), BertPooling.Cls);
        using var _ = no_grad();
        foreach (var (name, p) in _model.named_parameters())
        {
            if (name.EndsWith(".bias", StringComparison.Ordinal)) p.zero_();
            else if (p.dim() == 2) p.mul_(25);
            else p.normal_(1, 0.3); // LayerNorm scales, away from 1
        }
    }

    public void Dispose()
    {
        _model.Dispose();
        _ids.Dispose();
        _mask.Dispose();
    }

    private float Output(int unit)
    {
        using var _ = no_grad();
        using var o = _model.call(_ids, _mask);
        return o[0, unit].item<float>() + o[1, unit].item<float>();
    }

    [Fact]
    public void CP_LRP_conserves_relevance_exactly_without_biases_and_gradient_x_activation_does_not()
    {
        using var cp = Explain(_model).For(3).AtInputOf("embeddings.LayerNorm")
            .With(AttnLrp.ConservativePropagation.ReturnDelta()).WithAdditionalArguments(_mask).Attribute(_ids);
        Assert.Equal([2L, 5, 8], cp.Value.shape);
        double total = cp.Value.sum().item<float>();
        double output = Output(3);
        Assert.True(Math.Abs(output) > 0.1, "the output unit should not be near zero");
        Assert.True(cp.Delta!.abs().max().item<float>() < 1e-4 * Math.Max(1, Math.Abs(output)), $"CP-LRP delta {cp.Delta!.abs().max().item<float>():E2}");
        Assert.Equal(output, total, 3);

        using var plain = Explain(_model).For(3).AtInputOf("embeddings.LayerNorm")
            .With(LayerGradientXActivation.Default).WithAdditionalArguments(_mask).Attribute(_ids);
        double plainGap = Math.Abs(plain.Value.sum().item<float>() - output);
        Assert.True(plainGap > 0.05 * Math.Abs(output), $"gradient × activation should not be conservative here (gap {plainGap:E2})");
    }

    [Fact]
    public void AttnLRP_keeps_the_forward_values_and_reports_what_the_softmax_rule_absorbs()
    {
        using var attn = Explain(_model).For(3).AtInputOf("embeddings.LayerNorm")
            .With(AttnLrp.Default.ReturnDelta()).WithAdditionalArguments(_mask).Attribute(_ids);
        double output = Output(3);
        // Σ relevance + delta is the output of an unmodified forward pass: the rules change gradients, never values.
        double reconstructed = attn.Value.sum().item<float>() + attn.Delta!.sum().item<float>();
        Assert.Equal(output, reconstructed, 3);
        Assert.False(AttnLrp.Default.Settings.DetachAttention);
        Assert.True(AttnLrp.ConservativePropagation.Settings.DetachAttention);
        Assert.Equal("CP-LRP", AttnLrp.ConservativePropagation.Describe());
        // The model is unchanged and no rule hook is left behind: a plain forward equals the one before.
        Assert.Equal(output, Output(3), 6);
    }

    [Fact]
    public void The_identity_rule_passes_relevance_through_GELU_unchanged()
    {
        // At the GELU's input and at its output the CP-LRP relevance is the same (identity rule).
        using var before = Explain(_model).For(3).AtInputOf("encoder.layer.1.intermediate.intermediate_act_fn")
            .With(AttnLrp.ConservativePropagation).WithAdditionalArguments(_mask).Attribute(_ids);
        using var after = Explain(_model).For(3).At("encoder.layer.1.intermediate.intermediate_act_fn")
            .With(AttnLrp.ConservativePropagation).WithAdditionalArguments(_mask).Attribute(_ids);
        double diff = (before.Value - after.Value).abs().max().item<float>();
        Assert.True(diff < 1e-4, $"relevance changed through GELU by {diff:E2}");
        Assert.True(after.Value.abs().sum().item<float>() > 1e-3);
    }
}
