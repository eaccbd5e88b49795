using System.Collections.Immutable;
using static TorchSharp.torch;

namespace FluentAttrib.Core;

/// <summary>
/// The score behind a function <see cref="Target"/>: one of a batch function, a batch function with per-example data,
/// or one function per example; <see cref="Rows"/> maps the rows of an expanded batch to the original examples.
/// </summary>
internal sealed class TargetFunction
{
    public TargetFunction(string name, Func<Tensor, Tensor>? batch, Func<Tensor, Tensor, Tensor>? withData, Tensor? data,
        ImmutableArray<Func<Tensor, Tensor>>? perExample, ImmutableArray<int>? rows)
    {
        Name = name;
        Batch = batch;
        WithData = withData;
        Data = data;
        PerExample = perExample;
        Rows = rows;
    }

    public string Name { get; }
    public Func<Tensor, Tensor>? Batch { get; }
    public Func<Tensor, Tensor, Tensor>? WithData { get; }
    public Tensor? Data { get; }
    public ImmutableArray<Func<Tensor, Tensor>>? PerExample { get; }

    /// <summary>For each row of the batch the target is used with, the example it is a copy of; null = identity.</summary>
    public ImmutableArray<int>? Rows { get; }

    /// <summary>Number of examples of the original batch, or null for a batch function (valid for any batch).</summary>
    public int? ExampleCount => PerExample?.Length ?? (Data is { } d ? (int)d.shape[0] : null);

    /// <summary>The current row map, identity over the examples when none is set.</summary>
    public ImmutableArray<int> BaseRows => Rows ?? [.. Enumerable.Range(0, ExampleCount ?? 0)];

    public TargetFunction WithRows(ImmutableArray<int> rows) => new(Name, Batch, WithData, Data, PerExample, rows);

    /// <summary>Same functions and data (by reference) and the same row map.</summary>
    public bool SameAs(TargetFunction other) =>
        ReferenceEquals(Batch, other.Batch) && ReferenceEquals(WithData, other.WithData) && ReferenceEquals(Data, other.Data)
        && (PerExample is { } a ? other.PerExample is { } b && a.SequenceEqual(b) : other.PerExample is null)
        && BaseRows.SequenceEqual(other.BaseRows);

    /// <summary>Checks that the target fits a batch of <paramref name="batch"/> rows.</summary>
    public void Validate(long batch)
    {
        if (ExampleCount is null) return;
        int rows = Rows?.Length ?? ExampleCount.Value;
        if (rows != batch)
            throw new ArgumentException(
                $"Target '{Name}' has {ExampleCount} example(s) but the batch has {batch}.", "target");
    }

    /// <summary>The score of every row of <paramref name="output"/>, shape (B).</summary>
    public Tensor Evaluate(Tensor output)
    {
        long batch = output.shape[0];
        Validate(batch);
        Tensor score;
        if (Batch is { } f)
            score = f(output);
        else if (WithData is { } g)
        {
            var data = Data!;
            if (data.IsInvalid)
                throw new ObjectDisposedException("target", $"The per-example data of target '{Name}' was disposed.");
            if (Rows is { } rows)
            {
                using var index = tensor(rows.ToArray(), device: data.device);
                data = data.index_select(0, index);
            }
            if (data.device != output.device) data = data.to(output.device);
            score = g(output, data);
        }
        else
        {
            var functions = PerExample!.Value;
            var rows = BaseRows;
            var parts = new Tensor[batch];
            for (int i = 0; i < batch; i++)
            {
                using var row = output[i];
                parts[i] = Check(functions[rows[i]](row), i);
            }
            score = stack(parts);
            foreach (var p in parts) p.Dispose();
        }
        return Check(score, batch, output);
    }

    private Tensor Check(Tensor? part, int example)
    {
        if (part is null || part.IsInvalid)
            throw new ArgumentException($"Target '{Name}': the score function of example {example} returned no tensor.", "target");
        if (part.numel() != 1)
            throw new ArgumentException(
                $"Target '{Name}': the score function of example {example} returned shape {Shapes.Format(part.shape)}; it must return one scalar.", "target");
        return part.reshape([]);
    }

    private Tensor Check(Tensor? score, long batch, Tensor output)
    {
        if (score is null || score.IsInvalid)
            throw new ArgumentException($"Target '{Name}': the score function returned no tensor.", "target");
        if (score.numel() != batch || score.dim() == 0 || score.shape[0] != batch)
            throw new ArgumentException(
                $"Target '{Name}': the score function returned shape {Shapes.Format(score.shape)} for {batch} output row(s); it must return one scalar per row, shape ({batch}).", "target");
        if (!score.is_floating_point())
            throw new ArgumentException($"Target '{Name}': the score must be a floating-point tensor, not {score.dtype}.", "target");
        if (output.requires_grad && !score.requires_grad)
            throw new ArgumentException(
                $"Target '{Name}': the score does not depend on the model output through operations autograd can follow (was it detached or computed from a copy?); gradient methods need it to.", "target");
        return score.dim() == 1 ? score : score.reshape(batch);
    }
}
