using TorchSharp;
using static FluentAttrib.Fluent;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace FluentAttrib.Tests.Safety;

/// <summary>Rule methods: shape-only modules pass relevance through; recurrent modules are refused with a clear message.</summary>
public class RuleSupportTests
{
    private sealed class Recurrent : Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.LSTM lstm;
        private readonly TorchSharp.Modules.Linear fc;

        public Recurrent() : base("Recurrent")
        {
            torch.random.manual_seed(4);
            lstm = LSTM(3, 5, batchFirst: true);
            fc = Linear(5, 2);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var (y, _, _) = lstm.call(x);
            return fc.call(y[.., -1]);
        }
    }

    [Fact]
    public void DeepLift_and_Lrp_refuse_an_lstm_and_say_why()
    {
        using var scope = NewDisposeScope();
        var model = new Recurrent();
        model.to(ScalarType.Float64);
        model.eval();
        var x = randn(2, 4, 3, dtype: ScalarType.Float64);

        var dl = Assert.Throws<ArgumentException>(() => Explain(model).For(0).With(DeepLift.Default).Attribute(x));
        Assert.Contains("recurrent layer 'lstm' (LSTM)", dl.Message);
        Assert.Contains("TreatUnsupportedAsLinear()", dl.Message);
        using (var approx = Explain(model).For(0).With(DeepLift.Default.TreatUnsupportedAsLinear()).Attribute(x))
            Assert.Equal(x.shape, approx.Value.shape);

        var lrp = Assert.Throws<ArgumentException>(() => Explain(model).For(0).With(Lrp.Default).Attribute(x));
        Assert.Contains("recurrent layer 'lstm' (LSTM)", lrp.Message);
        Assert.DoesNotContain("Flatten", lrp.Message);
        Assert.Contains("IntegratedGradients", lrp.Message);
    }

    [Fact]
    public void Lrp_runs_on_a_plain_cnn_with_flatten_passing_relevance_through_it()
    {
        using var scope = NewDisposeScope();
        var cnn = SafetyKit.Cnn();
        var x = SafetyKit.Images(2, 3);
        using var a = Explain(cnn).For(1).With(Lrp.Default).Attribute(x);
        Assert.Equal(x.shape, a.Value.shape);
        // The ε-rule on a reshape passes relevance through up to ε: the default must agree with it.
        using var eps = Explain(cnn).For(1).With(Lrp.Default.Rule("flatten", LrpRule.Epsilon())).Attribute(x);
        double scale = eps.Value.abs().max().item<double>();
        Assert.True(scale > 0);
        Assert.True((a.Value - eps.Value).abs().max().item<double>() < 1e-6 * scale);
    }
}
