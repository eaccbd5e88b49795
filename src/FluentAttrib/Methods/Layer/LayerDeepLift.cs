using FluentAttrib.Core;
using FluentAttrib.Core.Layers;
using FluentAttrib.Core.Rules;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// DeepLift attributed to a layer's neurons: the layer's DeepLift multipliers (the gradient of the target with
/// respect to the layer under DeepLift's rules, see <see cref="DeepLift"/>) times (layer(input) − layer(baseline)).
/// Equal to Captum's <c>LayerDeepLift</c>: baselines are the inputs' (for an embedding layer, token ids whose
/// embeddings are compared); attributing to a layer's output leaves that layer's own rule out, attributing to its
/// input (<c>AtInputOf</c>) keeps it. The delta is Σ layer attributions − (F(input) − F(baseline)).
/// </summary>
public sealed record LayerDeepLift : LayerAttributionMethod
{
    private LayerDeepLift() { }

    /// <summary>Zero baselines, multiplied by the layer difference, Captum's quirks reproduced, no delta.</summary>
    public static LayerDeepLift Default { get; } = new();

    /// <summary>Reference values of the model inputs. <value>The default value is zero.</value></summary>
    public Baselines Baselines { get; private init; } = Baselines.Zero;

    /// <summary>Whether multipliers are multiplied by layer(input) − layer(baseline). <value>The default value is true.</value></summary>
    public bool MultipliesByInputs { get; private init; } = true;

    /// <summary>|Δin| below which a rule falls back to the plain gradient. <value>The default value is 1e-10.</value></summary>
    public double Eps { get; private init; } = 1e-10;

    /// <summary>Whether the convergence delta is computed. <value>The default value is false.</value></summary>
    public bool ReturnsDelta { get; private init; }

    /// <summary>A function of (multipliers, layer values at the inputs, at the baselines), or null. <value>The default value is null.</value></summary>
    public DeepLiftAttributionFunction? CustomAttributionFunction { get; private init; }

    /// <summary>Whether Captum's behaviours are reproduced (see <see cref="DeepLift.ReproducesCaptumQuirks"/>). <value>The default value is true.</value></summary>
    public bool ReproducesCaptumQuirks { get; private init; } = true;

    /// <summary>Whether nonlinear modules without a rule are treated as linear. <value>The default value is false.</value></summary>
    public bool TreatsUnsupportedAsLinear { get; private init; }

    /// <summary>Compares the inputs with <paramref name="baselines"/> (scalar, broadcastable tensor, or one per input).</summary>
    public LayerDeepLift Baseline(Baselines baselines)
    {
        ArgumentNullException.ThrowIfNull(baselines);
        return this with { Baselines = baselines };
    }

    /// <summary>Returns multipliers × layer difference (true) or the multipliers alone (false).</summary>
    public LayerDeepLift MultiplyByInputs(bool multiply = true) => this with { MultipliesByInputs = multiply };

    /// <summary>Sets the |Δin| threshold below which rules use the plain gradient.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="eps"/> is negative, NaN or infinite.</exception>
    public LayerDeepLift WithEps(double eps) => this with { Eps = DeepLift.CheckEps(eps) };

    /// <summary>Also computes the convergence delta Σ attribution − (F(input) − F(baseline)).</summary>
    public LayerDeepLift WithDelta(bool delta = true) => this with { ReturnsDelta = delta };

    /// <summary>Computes attributions with <paramref name="function"/> (multipliers, layer at inputs, layer at baselines).</summary>
    public LayerDeepLift CustomAttribution(DeepLiftAttributionFunction function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return this with { CustomAttributionFunction = function };
    }

    /// <summary>Reproduces Captum's hook-order and max-pool fallback behaviours (true) or uses the textbook rules (false).</summary>
    public LayerDeepLift CaptumQuirks(bool reproduce = true) => this with { ReproducesCaptumQuirks = reproduce };

    /// <summary>Treats nonlinear modules without a rule as linear, as Captum does.</summary>
    public LayerDeepLift TreatUnsupportedAsLinear(bool linear = true) => this with { TreatsUnsupportedAsLinear = linear };

    /// <inheritdoc />
    public override string Name => nameof(LayerDeepLift);

    /// <inheritdoc />
    public override string Describe() => $"LayerDeepLift(baselines {Baselines}{(MultipliesByInputs ? "" : ", multipliers only")})";

    internal override Attribution Attribute(LayerContext context)
    {
        var run = context.Run;
        using var scope = NewDisposeScope();
        var baselines = Baselines.MaterializeAll(run.Inputs);
        var (values, delta) = Compute(context, run.Inputs, baselines, new(Eps, ReproducesCaptumQuirks, TreatsUnsupportedAsLinear),
            MultipliesByInputs, CustomAttributionFunction, ReturnsDelta, Name);
        return Result(context, [values.MoveToOuterDisposeScope()], delta?.MoveToOuterDisposeScope());
    }

    /// <summary>Layer DeepLift of <paramref name="inputs"/> against <paramref name="baselines"/> (same shapes) in <paramref name="context"/>'s run.</summary>
    internal static (Tensor Values, Tensor? Delta) Compute(LayerContext context, Tensor[] inputs, Tensor[] baselines, DeepLiftEngine.Options options,
        bool multiplyByInputs, DeepLiftAttributionFunction? custom, bool withDelta, string method)
    {
        var run = context.Run;
        long batch = inputs[0].shape[0];
        Tensor[] layerGrads, layerValues;
        using (var session = DeepLiftEngine.Open(run, method, options, exclude: context.ToInput ? null : context.Layer.Module))
        {
            run.ThrowIfCancelled();
            var combined = inputs.Select((x, i) => cat([x, baselines[i]], 0)).ToArray();
            (layerGrads, layerValues, _) = session.Run(() =>
                LayerProbe.Gradients(run, combined, context.Layers, context.ToInput, run.Target.Expand(2, interleave: false), expansion: 2));
        }
        run.Report(method, 1, 1);
        int b = (int)batch;
        var multipliers = layerGrads[0][..b];
        var atInputs = layerValues[0][..b];
        var atBaselines = layerValues[0][b..];
        var values = DeepLiftEngine.Attributions([multipliers], [atInputs], [atBaselines], multiplyByInputs, custom, method)[0];
        var delta = withDelta ? Convergence.Delta(run, [values], baselines, inputs, run.Target) : null;
        return (values, delta);
    }
}
