using FluentAttrib.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Entry point of the fluent API: <c>Explain(model).For(target).With(method).Attribute(input)</c>.
/// Import it with <c>using static FluentAttrib.Fluent;</c>.
/// </summary>
/// <remarks>
/// <para><b>Thread safety.</b> One model may serve plain predictions and any number of attributions of any methods
/// at the same time, on any threads. The hooks and rules an attribution puts on the model act only on that
/// attribution's own forward and backward passes, on the thread that runs them: a plain <c>model.call</c> on another
/// thread, and every other attribution, pass through them untouched and get exactly what they get alone. Concurrent
/// attributions run in parallel; none waits for another and none fails because another is running. Explainers, runs
/// and methods are immutable values and may be shared between threads. What is not covered: changing the model
/// (weights, <c>train()</c>/<c>eval()</c>, <c>to(...)</c>, adding your own hooks) while anything uses it, and a run with
/// <c>WithTrainingMode()</c>, which changes the model's buffers during the run and restores them afterwards.</para>
/// <para><b>The model is never changed.</b> Parameters, buffers and training flags are bit-identical after every run
/// (after success, an exception or a cancellation). A model with modules whose forward depends on training mode
/// (BatchNorm, Dropout, InstanceNorm, RReLU) in training mode is refused with <see cref="ModelInTrainingModeException"/>:
/// call <c>model.eval()</c>, or opt in with the run's <c>WithTrainingMode()</c>.</para>
/// <para><b>Bad inputs</b> (no examples, a dtype or device that differs from the model's, integer inputs to a method
/// that needs floats, token ids outside an embedding's vocabulary, NaN or infinity, disposed tensors, a model that does
/// not return one output row per example) give a typed exception naming the argument before the first forward pass
/// where possible. See docs/safety.md.</para>
/// </remarks>
public static partial class Fluent
{
    /// <summary>Explains a single-input module (its forward is run through <c>call</c>, so hooks fire).</summary>
    public static Explainer Explain(nn.Module<Tensor, Tensor> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Create(new ForwardFunction(a => model.call(Single(a, NameOf(model))), null, model, NameOf(model)));
    }

    /// <summary>Explains a two-input module. Attribute both inputs, or one input plus one additional argument.</summary>
    public static Explainer Explain(nn.Module<Tensor, Tensor, Tensor> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Create(new ForwardFunction(a => model.call(Arg(a, 0, 2, NameOf(model)), Arg(a, 1, 2, NameOf(model))), 2, model, NameOf(model)));
    }

    /// <summary>Explains a three-input module.</summary>
    public static Explainer Explain(nn.Module<Tensor, Tensor, Tensor, Tensor> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        string name = NameOf(model);
        return Create(new ForwardFunction(a => model.call(Arg(a, 0, 3, name), Arg(a, 1, 3, name), Arg(a, 2, 3, name)), 3, model, name));
    }

    /// <summary>Explains a plain forward function of one tensor (enough for perturbation methods).</summary>
    public static Explainer Explain(Func<Tensor, Tensor> forward)
    {
        ArgumentNullException.ThrowIfNull(forward);
        return Create(new ForwardFunction(a => forward(Single(a, "the forward function")), 1, null, "the forward function"));
    }

    /// <summary>Explains a plain forward function of two tensors.</summary>
    public static Explainer Explain(Func<Tensor, Tensor, Tensor> forward)
    {
        ArgumentNullException.ThrowIfNull(forward);
        return Create(new ForwardFunction(a => forward(Arg(a, 0, 2, "the forward function"), Arg(a, 1, 2, "the forward function")), 2, null, "the forward function"));
    }

    /// <summary>Explains a forward function of any number of tensors (attributed inputs, then additional arguments).</summary>
    public static Explainer Explain(Func<Tensor[], Tensor> forward)
    {
        ArgumentNullException.ThrowIfNull(forward);
        return Create(new ForwardFunction(forward, null, null, "the forward function"));
    }

    /// <summary>The module's name; a disposed module is reported as the argument <c>model</c>.</summary>
    private static string NameOf(nn.Module model)
    {
        try
        {
            return model.GetName();
        }
        catch (ObjectDisposedException e)
        {
            throw new ObjectDisposedException("model", $"The model was disposed; explain a live model. ({e.Message})");
        }
    }

    private static Explainer Create(ForwardFunction f)
    {
        TorchRuntime.EnsureLoaded();
        return new Explainer(f);
    }

    private static Tensor Single(Tensor[] args, string what) =>
        args.Length == 1 ? args[0] : throw new ArgumentException($"{what} takes 1 tensor but {args.Length} were given (inputs plus additional arguments).", "inputs");

    private static Tensor Arg(Tensor[] args, int i, int n, string what) =>
        args.Length == n ? args[i] : throw new ArgumentException($"{what} takes {n} tensors but {args.Length} were given (inputs plus additional arguments).", "inputs");
}

/// <summary>A model to explain. Next: pick a target with <see cref="For"/> (or, for one output per example, a method with <see cref="With"/>).</summary>
public sealed partial class Explainer
{
    internal Explainer(ForwardFunction forward) => Forward = forward;

    internal ForwardFunction Forward { get; }

    /// <summary>Explains the output(s) that <paramref name="target"/> selects: a class index, one per example, or an index tuple.</summary>
    public TargetedExplainer For(Target target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return new TargetedExplainer(Forward, target);
    }

    /// <summary>Explains a model that returns one scalar per example (no target).</summary>
    public AttributionRun With(AttributionMethod method) => For(Target.None).With(method);
}

/// <summary>A model and a target. Next: choose the method with <see cref="With"/>.</summary>
public sealed partial class TargetedExplainer
{
    internal TargetedExplainer(ForwardFunction forward, Target target)
    {
        Forward = forward;
        Target = target;
    }

    internal ForwardFunction Forward { get; }

    /// <summary>The target being explained.</summary>
    public Target Target { get; }

    /// <summary>Uses <paramref name="method"/> (e.g. <c>Occlusion.Window(3, 45, 45)</c>).</summary>
    public AttributionRun With(AttributionMethod method)
    {
        ArgumentNullException.ThrowIfNull(method);
        return new AttributionRun(Forward, Target, method);
    }
}

/// <summary>
/// A model, a target and a method, ready to attribute. Optional: additional forward arguments, progress,
/// cancellation, a memory budget for automatic batching (see <see cref="AttributionRunBase{TSelf}"/>). Every option
/// returns a new value.
/// </summary>
public sealed partial record AttributionRun : AttributionRunBase<AttributionRun>
{
    internal AttributionRun(ForwardFunction forward, Target target, AttributionMethod method) : base(forward, target) => Method = method;

    /// <summary>The method that will run.</summary>
    public AttributionMethod Method { get; }

    /// <summary>Attributes the model's output to <paramref name="input"/>.</summary>
    public Attribution Attribute(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Attribute([input]);
    }

    /// <summary>Attributes the model's output to each of <paramref name="inputs"/> (a multi-input model).</summary>
    /// <exception cref="ArgumentException">No input, inputs of different batch sizes, or a scalar input.</exception>
    public Attribution Attribute(params Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return Execute(inputs, Method.Name, IntegerInputs.Accepts(Method), Method.Attribute);
    }
}
