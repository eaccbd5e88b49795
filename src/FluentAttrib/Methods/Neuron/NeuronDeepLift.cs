using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using FluentAttrib.Core.Rules;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// DeepLift of one neuron of a layer with respect to the inputs: the neuron's DeepLift multipliers (see
/// <see cref="DeepLift"/>) times (input − baseline). Equal to Captum's <c>NeuronDeepLift</c>: every supported
/// nonlinearity has its rule, including the layer itself; the neuron is summed over the inputs and the baselines.
/// </summary>
public sealed record NeuronDeepLift : NeuronAttributionMethod
{
    private NeuronDeepLift() { }

    /// <summary>Zero baselines, multiplied by inputs, Captum's quirks reproduced.</summary>
    public static NeuronDeepLift Default { get; } = new();

    /// <summary>Reference values the inputs are compared with. <value>The default value is zero.</value></summary>
    public Baselines Baselines { get; private init; } = Baselines.Zero;

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

    /// <summary>Compares the inputs with <paramref name="baselines"/> (scalar, broadcastable tensor, or one per input).</summary>
    public NeuronDeepLift Baseline(Baselines baselines)
    {
        ArgumentNullException.ThrowIfNull(baselines);
        return this with { Baselines = baselines };
    }

    /// <summary>Returns multipliers × (input − baseline) (true) or the multipliers alone (false).</summary>
    public NeuronDeepLift MultiplyByInputs(bool multiply = true) => this with { MultipliesByInputs = multiply };

    /// <summary>Sets the |Δin| threshold below which rules use the plain gradient.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="eps"/> is negative, NaN or infinite.</exception>
    public NeuronDeepLift WithEps(double eps) => this with { Eps = DeepLift.CheckEps(eps) };

    /// <summary>Computes attributions with <paramref name="function"/> instead of multipliers × (input − baseline).</summary>
    public NeuronDeepLift CustomAttribution(DeepLiftAttributionFunction function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return this with { CustomAttributionFunction = function };
    }

    /// <summary>Reproduces Captum's hook-order and max-pool fallback behaviours (true) or uses the textbook rules (false).</summary>
    public NeuronDeepLift CaptumQuirks(bool reproduce = true) => this with { ReproducesCaptumQuirks = reproduce };

    /// <summary>Treats nonlinear modules without a rule as linear, as Captum does.</summary>
    public NeuronDeepLift TreatUnsupportedAsLinear(bool linear = true) => this with { TreatsUnsupportedAsLinear = linear };

    /// <inheritdoc />
    public override string Name => nameof(NeuronDeepLift);

    /// <inheritdoc />
    public override string Describe() => $"NeuronDeepLift(baselines {Baselines}{(MultipliesByInputs ? "" : ", multipliers only")})";

    internal override Attribution Attribute(NeuronContext context)
    {
        var run = context.Run;
        using var scope = NewDisposeScope();
        var baselines = Baselines.MaterializeAll(run.Inputs);
        var values = Compute(context, run.Inputs, baselines, new(Eps, ReproducesCaptumQuirks, TreatsUnsupportedAsLinear),
            MultipliesByInputs, CustomAttributionFunction, Name);
        return Result(context, values.Select(v => v.MoveToOuterDisposeScope()).ToArray());
    }

    /// <summary>Neuron DeepLift of <paramref name="inputs"/> against <paramref name="baselines"/> in <paramref name="context"/>'s run.</summary>
    internal static Tensor[] Compute(NeuronContext context, Tensor[] inputs, Tensor[] baselines, DeepLiftEngine.Options options,
        bool multiplyByInputs, DeepLiftAttributionFunction? custom, string method)
    {
        var run = context.Run;
        int batch = (int)inputs[0].shape[0];
        Tensor[] grads;
        using (var session = DeepLiftEngine.Open(run, method, options))
        {
            run.ThrowIfCancelled();
            var combined = inputs.Select((x, i) => cat([x, baselines[i]], 0)).ToArray();
            grads = session.Run(() => LayerProbe.NeuronGradients(run, combined, context.Layer, context.ToInput, context.Selector, expansion: 2));
        }
        run.Report(method, 1, 1);
        var multipliers = grads.Select(g => g[..batch]).ToArray();
        return DeepLiftEngine.Attributions(multipliers, inputs, baselines, multiplyByInputs, custom, method);
    }
}
