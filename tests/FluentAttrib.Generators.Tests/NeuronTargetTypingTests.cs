namespace FluentAttrib.Generators.Tests;

/// <summary>
/// The fluent API's types, compiled against the real FluentAttrib assembly: a neuron step reached after a target
/// (<c>For(…)</c> before or after <c>At(…)</c> or <c>Neuron(…)</c>, typed or untyped) accepts only neuron methods that
/// explain a target through the neuron (NeuronConductance); any other neuron method there is a compile-time error
/// (CS1503). Without a target every neuron method is accepted. The accepted forms run in FluentAttrib.Tests
/// (LayerApiTests.Targeted_neuron_steps_take_conductance_and_untargeted_ones_take_every_neuron_method).
/// </summary>
public class NeuronTargetTypingTests
{
    [Fact]
    public void A_neuron_method_that_takes_no_target_is_rejected_after_a_target_and_the_accepted_forms_compile()
    {
        AnalyzerHarness.VerifyAgainstRuntime("""
            using static FluentAttrib.Fluent;

            static class Use
            {
                static void Run(Sequential model, Layer<Linear, Rank1> fc, int t)
                {
                    // Accepted: no target, any neuron method; a target, a method that explains it through the neuron.
                    NeuronAttributionRun a = Explain(model).At("fc").Neuron(0).With(NeuronGradient.Default);
                    a = Explain(model).At("fc").Neuron(0).With(NeuronIntegratedGradients.Steps(8));
                    a = Explain(model).At("fc").Neuron(0).With(NeuronConductance.Default);
                    a = Explain(model).For(t).At("fc").Neuron(0).With(NeuronConductance.Steps(8));
                    a = Explain(model).At("fc").For(t).Neuron(0).With(NeuronConductance.Default);
                    a = Explain(model).At("fc").Neuron(0).For(t).With(NeuronConductance.Default);
                    a = Explain(model).For(t).AtInputOf("fc").Neuron(0).With(NeuronConductance.Default);
                    a = Explain(model).At(fc).Neuron(0).With(NeuronGradientShap.Samples(3));
                    a = Explain(model).For(t).At(fc).Neuron(0).With(NeuronConductance.Default);
                    a = Explain(model).At(fc).For(t).Neuron(0).With(NeuronConductance.Default);
                    a = Explain(model).At(fc).For(t).Untyped.Neuron(0).With(NeuronConductance.Default);
                    a = Explain(model).At(fc).Neuron(v => v[.., 0]).For(t).With(NeuronConductance.Default);

                    // Rejected: a target and a method that attributes the neuron alone.
                    a = Explain(model).For(t).At("fc").Neuron(0).With({|CS1503:NeuronGradient.Default|});
                    a = Explain(model).At("fc").For(t).Neuron(0).With({|CS1503:NeuronIntegratedGradients.Steps(8)|});
                    a = Explain(model).At("fc").Neuron(0).For(t).With({|CS1503:NeuronFeatureAblation.Default|});
                    a = Explain(model).For(t).AtInputOf("fc").Neuron(0).With({|CS1503:NeuronGradient.Default|});
                    a = Explain(model).For(t).At(fc).Neuron(0).With({|CS1503:NeuronGradientShap.Default|});
                    a = Explain(model).At(fc).For(t).Neuron(0).With({|CS1503:NeuronGradient.Default|});
                    a = Explain(model).At(fc).For(t).Untyped.Neuron(0).With({|CS1503:NeuronGradient.Default|});
                    a = Explain(model).For(t).At(fc).Neuron(v => v[.., 0]).With({|CS1503:NeuronGradient.Default|});
                }
            }
            """);
    }
}
