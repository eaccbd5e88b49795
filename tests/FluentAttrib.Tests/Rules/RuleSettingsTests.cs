using TorchSharp.Modules;
using static FluentAttrib.Fluent;
using static FluentAttrib.Tests.Rules.RulesTestKit;
using static TorchSharp.torch;

namespace FluentAttrib.Tests.Rules;

/// <summary>
/// The rule-based methods on the shared settings: one name per setting, static entry points that equal the default
/// with the setter applied, read-back through <c>Settings</c>, and value equality.
/// </summary>
public class RuleSettingsTests
{
    [Fact]
    public void DeepLift_settings_read_back_under_the_setters_names()
    {
        TorchRuntime.EnsureLoaded();
        DeepLiftAttributionFunction f = (m, _, _) => [.. m];
        var baseline = Baselines.Scalar(0.5);
        var dl = DeepLift.Default.Baseline(baseline).MultiplyByInputs(false).ReturnDelta().Eps(1e-6).CustomAttribution(f)
            .CaptumQuirks(false).TreatUnsupportedAsLinear();
        var s = dl.Settings;
        Assert.Same(baseline, s.Baseline);
        Assert.False(s.MultiplyByInputs);
        Assert.True(s.ReturnDelta);
        Assert.Equal(1e-6, s.Eps);
        Assert.Same(f, s.CustomAttribution);
        Assert.False(s.CaptumQuirks);
        Assert.True(s.TreatUnsupportedAsLinear);

        var d = DeepLift.Default.Settings;
        Assert.True(d.MultiplyByInputs);
        Assert.False(d.ReturnDelta);
        Assert.Equal(Defaults.Eps, d.Eps);
        Assert.Null(d.CustomAttribution);
        Assert.True(d.CaptumQuirks);
        Assert.False(d.TreatUnsupportedAsLinear);
    }

    [Fact]
    public void The_layer_and_neuron_DeepLift_forms_share_the_setters()
    {
        var ldl = LayerDeepLift.Default.Eps(1e-3).CaptumQuirks(false).ReturnDelta();
        Assert.Equal(1e-3, ldl.Settings.Eps);
        Assert.False(ldl.Settings.CaptumQuirks);
        Assert.True(ldl.Settings.ReturnDelta);
        var ndl = NeuronDeepLift.Default.Eps(1e-4).TreatUnsupportedAsLinear().MultiplyByInputs(false);
        Assert.Equal(1e-4, ndl.Settings.Eps);
        Assert.True(ndl.Settings.TreatUnsupportedAsLinear);
        Assert.False(ndl.Settings.MultiplyByInputs);
        Assert.Throws<ArgumentOutOfRangeException>(() => LayerDeepLift.Default.Eps(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => NeuronDeepLift.Default.Eps(double.PositiveInfinity));
        Assert.Throws<ArgumentNullException>(() => NeuronDeepLift.Default.CustomAttribution(null!));
    }

    [Fact]
    public void DeepLiftShap_entry_point_and_instance_setter_share_the_name()
    {
        TorchRuntime.EnsureLoaded();
        using var a = zeros(2, 4);
        using var b = ones(3, 4);
        var dls = DeepLiftShap.BaselineDistribution(a).BaselineDistribution(b).Eps(1e-5);
        Assert.Same(b, Assert.Single(dls.Settings.BaselineDistribution));
        Assert.Equal(1e-5, dls.Settings.Eps);
        Assert.Equal(DeepLiftShap.BaselineDistribution(b).Eps(1e-5), dls);

        var layer = LayerDeepLiftShap.BaselineDistribution(a).BaselineDistribution(b);
        Assert.Same(b, Assert.Single(layer.Settings.BaselineDistribution));
        var neuron = NeuronDeepLiftShap.BaselineDistribution(a).BaselineDistribution(b).MultiplyByInputs(false);
        Assert.Same(b, Assert.Single(neuron.Settings.BaselineDistribution));
        Assert.False(neuron.Settings.MultiplyByInputs);
    }

    [Fact]
    public void A_distribution_set_by_the_instance_setter_is_checked_when_attributing()
    {
        using var scope = NewDisposeScope();
        var model = Mlp();
        var x = Data(1, ScalarType.Float64, 2, 6);
        var two = zeros(2, 6, dtype: ScalarType.Float64);
        // The shared setter accepts a single reference example (GradientShap can use it); DeepLiftShap needs two.
        var single = DeepLiftShap.BaselineDistribution(two).BaselineDistribution(zeros(1, 6, dtype: ScalarType.Float64));
        var e = Assert.Throws<ArgumentException>(() => Explain(model).For(0).With(single).Attribute(x));
        Assert.Equal("baselines", e.ParamName);
        Assert.Contains("at least 2", e.Message);
        var uneven = LayerDeepLiftShap.BaselineDistribution(two).BaselineDistribution(zeros(2, 6, dtype: ScalarType.Float64), zeros(3, 6, dtype: ScalarType.Float64));
        Assert.Throws<ArgumentException>(() => Explain(model).For(0).At("fc2").With(uneven).Attribute(x));
        Assert.Equal(0, HookCount(model));
    }

    [Fact]
    public void Lrp_rules_are_set_by_one_setter_and_read_back_as_layer_and_type_rules()
    {
        var lrp = Lrp.Default.Rule("fc1", LrpRule.Gamma(0.1)).Rule<Linear>(LrpRule.Epsilon(1e-6)).Rule("fc1", LrpRule.Identity).ReturnDelta();
        Assert.Equal(LrpRule.Identity, Assert.Single(lrp.Settings.LayerRules).Value);
        Assert.Equal("fc1", Assert.Single(lrp.Settings.LayerRules).Key);
        Assert.Equal(LrpRule.Epsilon(1e-6), lrp.Settings.TypeRules[typeof(Linear)]);
        Assert.True(lrp.Settings.ReturnDelta);
        Assert.Empty(Lrp.Default.Settings.LayerRules);
        Assert.Empty(Lrp.Default.Settings.TypeRules);

        var layer = LayerLrp.Default.Rule<Conv2d>(LrpRule.Gamma()).Rule("conv1", LrpRule.Alpha1Beta0());
        Assert.Equal(LrpRule.Gamma(), layer.Settings.TypeRules[typeof(Conv2d)]);
        Assert.Equal(LrpRule.Alpha1Beta0(), layer.Settings.LayerRules["conv1"]);
        Assert.Throws<ArgumentException>(() => LayerLrp.Default.Rule("", LrpRule.Identity));
        Assert.Throws<ArgumentNullException>(() => LayerLrp.Default.Rule<Conv2d>(null!));
        Assert.Throws<ArgumentNullException>(() => Lrp.Default.Rule("fc1", null!));
    }

    [Fact]
    public void Lrp_methods_compare_by_their_rules_whatever_the_order_they_were_set_in()
    {
        var a = Lrp.Default.Rule("fc1", LrpRule.Gamma(0.1)).Rule("fc2", LrpRule.Epsilon(1e-3)).Rule<Linear>(LrpRule.Alpha1Beta0()).Rule<Conv2d>(LrpRule.Gamma());
        var b = Lrp.Default.Rule<Conv2d>(LrpRule.Gamma()).Rule("fc2", LrpRule.Epsilon(1e-3)).Rule<Linear>(LrpRule.Alpha1Beta0()).Rule("fc1", LrpRule.Gamma(0.1));
        Assert.NotSame(a, b);
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, b.Rule("fc1", LrpRule.Gamma(0.2)));
        Assert.NotEqual(a, b.Rule<ReLU>(LrpRule.Identity));
        Assert.Equal(LayerLrp.Default.Rule("x", LrpRule.Identity), LayerLrp.Default.Rule("x", LrpRule.Identity));
        Assert.NotEqual(LayerLrp.Default.Rule("x", LrpRule.Identity), LayerLrp.Default.Rule("y", LrpRule.Identity));
    }

    [Fact]
    public void Rule_based_methods_compare_by_value()
    {
        var baseline = Baselines.Scalar(0.1); // baselines compare by reference
        Assert.Equal(DeepLift.Default.Baseline(baseline).Eps(1e-5).ReturnDelta(), DeepLift.Default.Eps(1e-5).ReturnDelta().Baseline(baseline));
        Assert.NotEqual(DeepLift.Default.Eps(1e-5), DeepLift.Default.Eps(1e-6));
        Assert.Equal(GuidedGradCam.At("conv2").Interpolation(InterpolationMode.Bilinear), GuidedGradCam.At("conv2").Interpolation(InterpolationMode.Bilinear));
        Assert.NotEqual(GuidedGradCam.At("conv2"), GuidedGradCam.At("conv1"));
        Assert.NotEqual(GuidedGradCam.At("conv2"), GuidedGradCam.At("conv2").AtLayerInput());
    }

    [Fact]
    public void GuidedGradCam_reads_back_its_own_settings_and_keeps_its_layer()
    {
        var ggc = GuidedGradCam.At("conv2").Interpolation(InterpolationMode.Bicubic).AtLayerInput();
        Assert.Equal("conv2", ggc.Layer.Path);
        Assert.Equal(InterpolationMode.Bicubic, ggc.Settings.Interpolation);
        Assert.True(ggc.Settings.AtLayerInput);
        Assert.Equal(InterpolationMode.Nearest, GuidedGradCam.At("conv2").Settings.Interpolation);
        Assert.False(GuidedGradCam.At("conv2").Settings.AtLayerInput);
        Assert.Throws<ArgumentOutOfRangeException>(() => ggc.Interpolation((InterpolationMode)999));
    }

    [Fact]
    public void LrpRule_reads_back_its_kind_and_one_parameter()
    {
        var epsilon = LrpRule.Epsilon(1e-4);
        Assert.Equal(LrpRuleKind.Epsilon, epsilon.Kind);
        Assert.Equal(1e-4, epsilon.Parameter);
        Assert.Equal(Defaults.LrpEpsilon, LrpRule.Epsilon().Parameter);
        var gamma = LrpRule.Gamma(0.5, setBiasToZero: true);
        Assert.Equal(LrpRuleKind.Gamma, gamma.Kind);
        Assert.Equal(0.5, gamma.Parameter);
        Assert.True(gamma.SetsBiasToZero);
        Assert.True(gamma.ModifiesWeights);
        Assert.Equal(Defaults.LrpGamma, LrpRule.Gamma().Parameter);
        Assert.Null(LrpRule.Alpha1Beta0().Parameter);
        Assert.Null(LrpRule.Identity.Parameter);
        Assert.Equal(LrpRuleKind.Identity, LrpRule.Identity.Kind);
        Assert.False(LrpRule.Identity.ModifiesWeights);
        Assert.Equal(LrpRule.Gamma(0.5, true), gamma);
        Assert.NotEqual(LrpRule.Gamma(0.5), gamma);
    }
}
