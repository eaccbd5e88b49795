using System.Collections.Immutable;
using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using FluentAttrib.Core.Rules;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// <see cref="NeuronDeepLift"/> of every example against every baseline of a distribution, averaged over the
/// baselines. Equal to Captum's <c>NeuronDeepLiftShap</c>. Create one with <see cref="Baselines(Tensor[])"/>.
/// </summary>
public sealed record NeuronDeepLiftShap : NeuronAttributionMethod
{
    private NeuronDeepLiftShap(ImmutableArray<Tensor> distribution) => Distribution = distribution;

    /// <summary>
    /// Neuron DeepLift SHAP against <paramref name="distribution"/>: one tensor per input, each with N ≥ 2 baselines
    /// along dimension 0 (the same N for every input).
    /// </summary>
    /// <exception cref="ArgumentException">No tensor, a scalar tensor, fewer than 2 baselines, or inputs with different N.</exception>
    public static NeuronDeepLiftShap Baselines(params Tensor[] distribution) => new(DeepLiftShap.CheckDistribution(distribution, nameof(distribution)));

    /// <summary>The baseline distribution, one tensor per input.</summary>
    public ValueList<Tensor> Distribution { get; }

    /// <summary>Whether multipliers are multiplied by (input − baseline). <value>The default value is true.</value></summary>
    public bool MultipliesByInputs { get; private init; } = true;

    /// <summary>|Δin| below which a rule falls back to the plain gradient. <value>The default value is 1e-10.</value></summary>
    public double Eps { get; private init; } = 1e-10;

    /// <summary>A function that replaces multipliers × (input − baseline), or null. <value>The default value is null.</value></summary>
    public DeepLiftAttributionFunction? CustomAttributionFunction { get; private init; }

    /// <summary>Whether Captum's behaviours are reproduced (see <see cref="DeepLift.ReproducesCaptumQuirks"/>). <value>The default value is true.</value></summary>
    public bool ReproducesCaptumQuirks { get; private init; } = true;

    /// <summary>Whether nonlinear modules without a rule are treated as linear. <value>The default value is false.</value></summary>
    public bool TreatsUnsupportedAsLinear { get; private init; }

    /// <summary>Returns multipliers × (input − baseline) (true) or the multipliers alone (false), averaged over baselines.</summary>
    public NeuronDeepLiftShap MultiplyByInputs(bool multiply = true) => this with { MultipliesByInputs = multiply };

    /// <summary>Sets the |Δin| threshold below which rules use the plain gradient.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="eps"/> is negative, NaN or infinite.</exception>
    public NeuronDeepLiftShap WithEps(double eps) => this with { Eps = DeepLift.CheckEps(eps) };

    /// <summary>Computes each pair's attributions with <paramref name="function"/> before averaging.</summary>
    public NeuronDeepLiftShap CustomAttribution(DeepLiftAttributionFunction function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return this with { CustomAttributionFunction = function };
    }

    /// <summary>Reproduces Captum's hook-order and max-pool fallback behaviours (true) or uses the textbook rules (false).</summary>
    public NeuronDeepLiftShap CaptumQuirks(bool reproduce = true) => this with { ReproducesCaptumQuirks = reproduce };

    /// <summary>Treats nonlinear modules without a rule as linear, as Captum does.</summary>
    public NeuronDeepLiftShap TreatUnsupportedAsLinear(bool linear = true) => this with { TreatsUnsupportedAsLinear = linear };

    /// <inheritdoc />
    public override string Name => nameof(NeuronDeepLiftShap);

    /// <inheritdoc />
    public override string Describe() => $"NeuronDeepLiftShap({Distribution[0].shape[0]} baselines{(MultipliesByInputs ? "" : ", multipliers only")})";

    internal override Attribution Attribute(NeuronContext context)
    {
        using var scope = NewDisposeScope();
        var pairs = BaselinePairs.Expand(context.Run, Distribution, Name);
        var expanded = new NeuronContext { Run = pairs.Context, Layer = context.Layer, ToInput = context.ToInput, Selector = context.Selector };
        var attributions = NeuronDeepLift.Compute(expanded, pairs.Inputs, pairs.Baselines, new(Eps, ReproducesCaptumQuirks, TreatsUnsupportedAsLinear),
            MultipliesByInputs, CustomAttributionFunction, Name);
        context.Run.Report(Name, 1, 1);
        var values = attributions.Select(a => pairs.Mean(a).MoveToOuterDisposeScope()).ToArray();
        return Result(context, values);
    }
}
