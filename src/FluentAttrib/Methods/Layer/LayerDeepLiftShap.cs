using System.Collections.Immutable;
using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using FluentAttrib.Core.Rules;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// <see cref="LayerDeepLift"/> of every example against every baseline of a distribution, averaged over the
/// baselines. Equal to Captum's <c>LayerDeepLiftShap</c>; the delta has one entry per (example, baseline),
/// example-major. Create one with <see cref="Baselines(Tensor[])"/>.
/// </summary>
public sealed record LayerDeepLiftShap : LayerAttributionMethod
{
    private LayerDeepLiftShap(ImmutableArray<Tensor> distribution) => Distribution = distribution;

    /// <summary>
    /// Layer DeepLift SHAP against <paramref name="distribution"/>: one tensor per model input, each with N ≥ 2
    /// baselines along dimension 0 (the same N for every input).
    /// </summary>
    /// <exception cref="ArgumentException">No tensor, a scalar tensor, fewer than 2 baselines, or inputs with different N.</exception>
    public static LayerDeepLiftShap Baselines(params Tensor[] distribution) => new(DeepLiftShap.CheckDistribution(distribution, nameof(distribution)));

    /// <summary>The baseline distribution, one tensor per model input.</summary>
    public ValueList<Tensor> Distribution { get; }

    /// <summary>Whether multipliers are multiplied by the layer difference. <value>The default value is true.</value></summary>
    public bool MultipliesByInputs { get; private init; } = true;

    /// <summary>|Δin| below which a rule falls back to the plain gradient. <value>The default value is 1e-10.</value></summary>
    public double Eps { get; private init; } = 1e-10;

    /// <summary>Whether the convergence delta (one per example and baseline) is computed. <value>The default value is false.</value></summary>
    public bool ReturnsDelta { get; private init; }

    /// <summary>A function of (multipliers, layer values at the inputs, at the baselines), or null. <value>The default value is null.</value></summary>
    public DeepLiftAttributionFunction? CustomAttributionFunction { get; private init; }

    /// <summary>Whether Captum's behaviours are reproduced (see <see cref="DeepLift.ReproducesCaptumQuirks"/>). <value>The default value is true.</value></summary>
    public bool ReproducesCaptumQuirks { get; private init; } = true;

    /// <summary>Whether nonlinear modules without a rule are treated as linear. <value>The default value is false.</value></summary>
    public bool TreatsUnsupportedAsLinear { get; private init; }

    /// <summary>Returns multipliers × layer difference (true) or the multipliers alone (false), averaged over baselines.</summary>
    public LayerDeepLiftShap MultiplyByInputs(bool multiply = true) => this with { MultipliesByInputs = multiply };

    /// <summary>Sets the |Δin| threshold below which rules use the plain gradient.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="eps"/> is negative, NaN or infinite.</exception>
    public LayerDeepLiftShap WithEps(double eps) => this with { Eps = DeepLift.CheckEps(eps) };

    /// <summary>Also computes the convergence delta of every (example, baseline) pair.</summary>
    public LayerDeepLiftShap WithDelta(bool delta = true) => this with { ReturnsDelta = delta };

    /// <summary>Computes each pair's attributions with <paramref name="function"/> before averaging.</summary>
    public LayerDeepLiftShap CustomAttribution(DeepLiftAttributionFunction function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return this with { CustomAttributionFunction = function };
    }

    /// <summary>Reproduces Captum's hook-order and max-pool fallback behaviours (true) or uses the textbook rules (false).</summary>
    public LayerDeepLiftShap CaptumQuirks(bool reproduce = true) => this with { ReproducesCaptumQuirks = reproduce };

    /// <summary>Treats nonlinear modules without a rule as linear, as Captum does.</summary>
    public LayerDeepLiftShap TreatUnsupportedAsLinear(bool linear = true) => this with { TreatsUnsupportedAsLinear = linear };

    /// <inheritdoc />
    public override string Name => nameof(LayerDeepLiftShap);

    /// <inheritdoc />
    public override string Describe() => $"LayerDeepLiftShap({Distribution[0].shape[0]} baselines{(MultipliesByInputs ? "" : ", multipliers only")})";

    internal override Attribution Attribute(LayerContext context)
    {
        using var scope = NewDisposeScope();
        var pairs = BaselinePairs.Expand(context.Run, Distribution, Name);
        var expanded = new LayerContext { Run = pairs.Context, Layers = context.Layers, ToInput = context.ToInput };
        var (attributions, delta) = LayerDeepLift.Compute(expanded, pairs.Inputs, pairs.Baselines, new(Eps, ReproducesCaptumQuirks, TreatsUnsupportedAsLinear),
            MultipliesByInputs, CustomAttributionFunction, ReturnsDelta, Name);
        context.Run.Report(Name, 1, 1);
        var mean = pairs.Mean(attributions);
        return Result(context, [mean.MoveToOuterDisposeScope()], delta?.MoveToOuterDisposeScope());
    }
}
