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
