using static TorchSharp.torch;

namespace FluentAttrib.Core;

/// <summary>Everything one attribution call needs besides the method's own settings.</summary>
internal sealed class AttributionContext
{
    public required ForwardFunction Forward { get; init; }
    public required Tensor[] Inputs { get; init; }
    public required Target Target { get; init; }
    public Tensor[] AdditionalArgs { get; init; } = [];
    public IProgress<AttributionProgress>? Progress { get; init; }
    public CancellationToken Cancellation { get; init; }
    public long? MemoryBudgetBytes { get; init; }

    /// <summary>The run's input checks, applied again where baselines are materialised (null outside a checked run).</summary>
    public RunChecks? Checks { get; init; }

    /// <summary>Batch size of the original inputs.</summary>
    public long BatchSize => Inputs[0].shape[0];

    /// <summary>Same context with other inputs/target (used by wrappers such as NoiseTunnel and the metrics).</summary>
    public AttributionContext With(Tensor[] inputs, Target target, Tensor[]? additional = null) => new()
    {
        Forward = Forward,
        Inputs = inputs,
        Target = target,
        AdditionalArgs = additional ?? AdditionalArgs,
        Progress = null,
        Cancellation = Cancellation,
        MemoryBudgetBytes = MemoryBudgetBytes,
        Checks = Checks,
    };

    /// <summary>Same context carrying the run's input checks.</summary>
    public AttributionContext WithChecks(RunChecks checks) => new()
    {
        Forward = Forward,
        Inputs = Inputs,
        Target = Target,
        AdditionalArgs = AdditionalArgs,
        Progress = Progress,
        Cancellation = Cancellation,
        MemoryBudgetBytes = MemoryBudgetBytes,
        Checks = checks,
    };

    /// <summary>Runs the model on the original inputs (no gradient) and returns the selected outputs (B).</summary>
    public Tensor ForwardSelected(IReadOnlyList<Tensor> inputs, Target target, int expansion = 1, bool interleave = false)
    {
        using var _ = no_grad();
        var output = Forward.Invoke(inputs, AdditionalArgs, BatchSize, expansion, interleave);
        return TargetSelector.Select(output, target);
    }

    /// <summary>Throws when cancelled.</summary>
    public void ThrowIfCancelled() => Cancellation.ThrowIfCancellationRequested();

    /// <summary>Reports progress, if anyone listens.</summary>
    public void Report(string method, int completed, int total) =>
        Progress?.Report(new AttributionProgress(method, completed, total));
}
