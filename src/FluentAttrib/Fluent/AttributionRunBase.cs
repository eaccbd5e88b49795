using FluentAttrib.Core;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// The options every run step shares (<see cref="AttributionRun"/>, <see cref="LayerAttributionRun"/>,
/// <see cref="NeuronAttributionRun"/>): additional forward arguments, progress, cancellation and a memory budget for
/// automatic batching. Every option returns a new value of the run's own type.
/// </summary>
/// <typeparam name="TSelf">The run type.</typeparam>
public abstract record AttributionRunBase<TSelf> where TSelf : AttributionRunBase<TSelf>
{
    private protected AttributionRunBase(ForwardFunction forward, Target target)
    {
        Forward = forward;
        Target = target;
    }

    internal ForwardFunction Forward { get; }

    /// <summary>The target being explained.</summary>
    public Target Target { get; }

    private protected Tensor[] Additional { get; private init; } = [];
    private IProgress<AttributionProgress>? ProgressSink { get; init; }
    private CancellationToken Token { get; init; }
    private long? Budget { get; init; }
    private bool AllowTraining { get; init; }
    private bool AllowNonFinite { get; init; }

    /// <summary>
    /// Attributes a model that has modules in training mode (BatchNorm, Dropout, ...) as it is, instead of refusing it
    /// with <see cref="ModelInTrainingModeException"/>. Results then depend on the batch and on random dropout; every
    /// buffer (e.g. BatchNorm's running statistics) and training flag is restored after the run, also after an
    /// exception or a cancellation. While such a run executes, the buffers change: do not use the model elsewhere
    /// at the same time.
    /// </summary>
    public TSelf WithTrainingMode() => (TSelf)(this with { AllowTraining = true });

    /// <summary>
    /// Accepts NaN and infinite values in inputs and baselines (by default they are refused with an
    /// <see cref="ArgumentException"/>, since they turn attributions into NaN).
    /// </summary>
    public TSelf WithNonFiniteValues() => (TSelf)(this with { AllowNonFinite = true });

    /// <summary>
    /// Tensors passed to the model after the attributed inputs, not attributed. A tensor whose first dimension is
    /// the batch size is expanded with the batch when a method evaluates many perturbed copies at once.
    /// </summary>
    public TSelf WithAdditionalArguments(params Tensor[] arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        return (TSelf)(this with { Additional = arguments });
    }

    /// <summary>Reports progress (passes done out of passes planned) to <paramref name="progress"/>.</summary>
    public TSelf WithProgress(IProgress<AttributionProgress> progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        return (TSelf)(this with { ProgressSink = progress });
    }

    /// <summary>Stops between passes when <paramref name="cancellation"/> is cancelled (throws <see cref="OperationCanceledException"/>).</summary>
    public TSelf WithCancellation(CancellationToken cancellation) => (TSelf)(this with { Token = cancellation });

    /// <summary>
    /// Memory that automatic batching may plan for, in bytes. The default is a quarter of the memory available to
    /// the process, at most 2 GiB. Explicit batch settings of a method take precedence.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public TSelf WithMemoryBudget(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        return (TSelf)(this with { Budget = bytes });
    }

    /// <summary>
    /// Checks the inputs (see <see cref="RunChecks"/>) and the model's mode (see <see cref="ModelGuard"/>), then runs
    /// <paramref name="body"/> with the checks in its context (for baselines) and the model guarded.
    /// </summary>
    /// <param name="inputs">The attributed inputs.</param>
    /// <param name="method">The method's name, for messages.</param>
    /// <param name="integerInputs">Whether the method accepts integer inputs (token ids).</param>
    /// <param name="body">The attribution.</param>
    private protected TResult Execute<TResult>(Tensor[] inputs, string method, bool integerInputs, Func<AttributionContext, TResult> body)
    {
        var context = CreateContext(inputs);
        context.ThrowIfCancelled(); // from the first moment, before any setup a method does
        var checks = RunChecks.ForRun(Forward, inputs, Additional, AllowNonFinite, integerInputs, method);
        using var guard = ModelGuard.Enter(Forward.Module, AllowTraining);
        using var memory = NativeHeap.Enter();
        return body(context.WithChecks(checks));
    }

    internal AttributionContext CreateContext(Tensor[] inputs)
    {
        if (inputs.Length == 0) throw new ArgumentException("Give at least one input.", nameof(inputs));
        for (int i = 0; i < inputs.Length; i++)
        {
            if (inputs[i] is null) throw new ArgumentNullException($"{nameof(inputs)}[{i}]");
            RunChecks.RequireLive(inputs[i], $"{nameof(inputs)}[{i}]", $"Input {i}");
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
