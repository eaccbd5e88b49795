using FluentAttrib.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Entry point of the fluent API: <c>Explain(model).For(target).With(method).Attribute(input)</c>.
/// Import it with <c>using static FluentAttrib.Fluent;</c>.
/// </summary>
public static class Fluent
{
    /// <summary>Explains a single-input module (its forward is run through <c>call</c>, so hooks fire).</summary>
    public static Explainer Explain(nn.Module<Tensor, Tensor> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Create(new ForwardFunction(a => model.call(Single(a, model.GetName())), null, model, model.GetName()));
    }

    /// <summary>Explains a two-input module. Attribute both inputs, or one input plus one additional argument.</summary>
    public static Explainer Explain(nn.Module<Tensor, Tensor, Tensor> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Create(new ForwardFunction(a => model.call(Arg(a, 0, 2, model.GetName()), Arg(a, 1, 2, model.GetName())), 2, model, model.GetName()));
    }

    /// <summary>Explains a three-input module.</summary>
    public static Explainer Explain(nn.Module<Tensor, Tensor, Tensor, Tensor> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        string name = model.GetName();
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
/// cancellation, a memory budget for automatic batching. Every option returns a new value.
/// </summary>
public sealed partial record AttributionRun
{
    internal AttributionRun(ForwardFunction forward, Target target, AttributionMethod method)
    {
        Forward = forward;
        Target = target;
        Method = method;
    }

    internal ForwardFunction Forward { get; }

    /// <summary>The target being explained.</summary>
    public Target Target { get; }

    /// <summary>The method that will run.</summary>
    public AttributionMethod Method { get; }

    private Tensor[] Additional { get; init; } = [];
    private IProgress<AttributionProgress>? ProgressSink { get; init; }
    private CancellationToken Token { get; init; }
    private long? Budget { get; init; }

    /// <summary>
    /// Tensors passed to the model after the attributed inputs, not attributed. A tensor whose first dimension is
    /// the batch size is expanded with the batch when a method evaluates many perturbed copies at once.
    /// </summary>
    public AttributionRun WithAdditionalArguments(params Tensor[] arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        return this with { Additional = arguments };
    }

    /// <summary>Reports progress (passes done out of passes planned) to <paramref name="progress"/>.</summary>
    public AttributionRun WithProgress(IProgress<AttributionProgress> progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        return this with { ProgressSink = progress };
    }

    /// <summary>Stops between passes when <paramref name="cancellation"/> is cancelled (throws <see cref="OperationCanceledException"/>).</summary>
    public AttributionRun WithCancellation(CancellationToken cancellation) => this with { Token = cancellation };

    /// <summary>
    /// Memory that automatic batching may plan for, in bytes. The default is a quarter of the memory available to
    /// the process, at most 2 GiB. Explicit batch settings of a method take precedence.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public AttributionRun WithMemoryBudget(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        return this with { Budget = bytes };
    }

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
        var context = CreateContext(inputs);
        return Method.Attribute(context);
    }

    internal AttributionContext CreateContext(Tensor[] inputs)
    {
        if (inputs.Length == 0) throw new ArgumentException("Give at least one input.", nameof(inputs));
        for (int i = 0; i < inputs.Length; i++)
        {
            if (inputs[i] is null) throw new ArgumentNullException($"{nameof(inputs)}[{i}]");
            if (inputs[i].dim() == 0)
                throw new ArgumentException($"Input {i} is a scalar; inputs need a leading batch dimension.", nameof(inputs));
            if (inputs[i].shape[0] != inputs[0].shape[0])
                throw new ArgumentException(
                    $"Input {i} has batch size {inputs[i].shape[0]} but input 0 has {inputs[0].shape[0]}.", nameof(inputs));
        }
        if (Forward.Arity is { } arity && arity != inputs.Length + Additional.Length)
            throw new ArgumentException(
                $"{Forward.Description} takes {arity} tensors; {inputs.Length} inputs and {Additional.Length} additional arguments were given.",
                nameof(inputs));
        if (Target.ExampleCount is { } n && n != inputs[0].shape[0])
            throw new ArgumentException($"Target has {n} entries but the batch has {inputs[0].shape[0]} examples.", "target");
        return new AttributionContext
        {
            Forward = Forward,
            Inputs = inputs,
            Target = Target,
            AdditionalArgs = Additional,
            Progress = ProgressSink,
            Cancellation = Token,
            MemoryBudgetBytes = Budget,
        };
    }
}
