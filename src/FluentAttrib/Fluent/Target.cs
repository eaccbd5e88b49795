using System.Collections.Immutable;
using System.Text;
using FluentAttrib.Core;
using TorchSharp;
using Tensor = TorchSharp.torch.Tensor;

namespace FluentAttrib;

/// <summary>
/// Which output an attribution explains: one scalar per example, taken from the model output.
/// Select an output element with <see cref="Index(long)"/>, <see cref="PerExample(long[])"/>,
/// <see cref="Element(long[])"/>, <see cref="PerExampleElements(long[][])"/>; compute any scalar per example from the
/// output with <see cref="Score(Func{Tensor, Tensor}, string?)"/>,
/// <see cref="Score(Func{Tensor, Tensor, Tensor}, Tensor, string?)"/> or <see cref="PerExampleScores(Func{Tensor, Tensor}[])"/>
/// (a cosine similarity to a reference embedding, a logit difference, the sum over a segmentation mask);
/// or use <see cref="None"/> for models that already return one scalar per example. An <see cref="int"/>,
/// <see cref="long"/> or an array of them converts implicitly.
/// </summary>
public sealed partial class Target : IEquatable<Target>
{
    private Target(ImmutableArray<long>? shared, ImmutableArray<ImmutableArray<long>>? perExample)
    {
        Shared = shared;
        PerExampleIndices = perExample;
    }

    private Target(TargetFunction function)
    {
        Function = function;
    }

    /// <summary>No target: the model output must hold one scalar per example (shape (B) or (B,1,...,1)).</summary>
    public static Target None { get; } = new(null, null);

    /// <summary>The same output index for every example (a class index for a (B, C) output).</summary>
    public static Target Index(long index) => new(ImmutableArray.Create(index), null);

    /// <summary>The same index tuple for every example, for outputs with more than two dimensions.</summary>
    /// <exception cref="ArgumentException">No index given.</exception>
    public static Target Element(params long[] indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.Length == 0) throw new ArgumentException("A target element needs at least one index.", nameof(indices));
        return new(indices.ToImmutableArray(), null);
    }

    /// <summary>One output index per example (the list's length must equal the batch size).</summary>
    /// <exception cref="ArgumentException">The list is empty.</exception>
    public static Target PerExample(params long[] indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.Length == 0) throw new ArgumentException("A per-example target needs one index per example.", nameof(indices));
        return new(null, indices.Select(i => ImmutableArray.Create(i)).ToImmutableArray());
    }

    /// <summary>One index tuple per example, for outputs with more than two dimensions.</summary>
    /// <exception cref="ArgumentException">The list is empty or the tuples differ in length.</exception>
    public static Target PerExampleElements(params long[][] indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.Length == 0) throw new ArgumentException("A per-example target needs one index tuple per example.", nameof(indices));
        if (indices.Any(i => i is null || i.Length == 0 || i.Length != indices[0].Length))
            throw new ArgumentException("Every example's target tuple must be non-empty and of the same length.", nameof(indices));
        return new(null, indices.Select(i => i.ToImmutableArray()).ToImmutableArray());
    }

    /// <summary>
    /// A score computed from the model output: <paramref name="score"/> receives the outputs of a batch, shape (N, ...),
    /// and returns one scalar per row, shape (N) or (N, 1), differentiable in the output for gradient methods.
    /// The rows may be copies of the examples in any order (path points, perturbations, noisy samples), so the score of
    /// a row must depend on that row alone; for data that differs per example use
    /// <see cref="Score(Func{Tensor, Tensor, Tensor}, Tensor, string?)"/>.
    /// </summary>
    /// <param name="score">Output batch → one scalar per row. It must not dispose its argument.</param>
    /// <param name="name">How the target is shown (in <see cref="Attribution"/>, figures and errors); "score" if null.</param>
    /// <example><code>Target.Score(o => o[.., 3] - o[.., 5], "logit 3 − logit 5")</code></example>
    public static Target Score(Func<Tensor, Tensor> score, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(score);
        return new(new TargetFunction(name ?? "score", score, null, null, null, null));
    }

    /// <summary>
    /// A score computed from the model output and data given per example: <paramref name="score"/> receives the outputs
    /// of a batch, shape (N, ...), and the rows of <paramref name="perExampleData"/> aligned with them, shape (N, ...),
    /// and returns one scalar per row. Rows of the data follow the rows of the output whenever the library copies or
    /// reorders examples, so a reference embedding per example stays with its example.
    /// </summary>
    /// <param name="score">(outputs, data rows) → one scalar per row, shape (N) or (N, 1).</param>
    /// <param name="perExampleData">One row per example of the batch that is attributed (first dimension = batch size).</param>
    /// <param name="name">How the target is shown; "score" if null.</param>
    /// <exception cref="ArgumentException"><paramref name="perExampleData"/> is a scalar.</exception>
    public static Target Score(Func<Tensor, Tensor, Tensor> score, Tensor perExampleData, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(score);
        ArgumentNullException.ThrowIfNull(perExampleData);
        if (perExampleData.IsInvalid)
            throw new ArgumentException("The per-example data tensor was disposed.", nameof(perExampleData));
        if (perExampleData.dim() == 0)
            throw new ArgumentException("Per-example data needs one row per example (a leading batch dimension).", nameof(perExampleData));
        return new(new TargetFunction(name ?? "score", null, score, perExampleData, null, null));
    }

    /// <summary>
    /// One score function per example, as pytorch-grad-cam's list of targets: function <c>i</c> receives the output of
    /// example <c>i</c> alone (the output row without the batch dimension) and returns a scalar. The list's length must
    /// equal the batch size.
    /// </summary>
    /// <exception cref="ArgumentException">The list is empty or holds null.</exception>
    public static Target PerExampleScores(params Func<Tensor, Tensor>[] scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Length == 0) throw new ArgumentException("Give one score function per example.", nameof(scores));
        if (scores.Any(f => f is null)) throw new ArgumentException("A score function is null.", nameof(scores));
        return new(new TargetFunction("per-example scores", null, null, null, scores.ToImmutableArray(), null));
    }

    /// <summary>The computed score, or null for an index target.</summary>
    internal TargetFunction? Function { get; }

    /// <summary>The index tuple shared by all examples, or null.</summary>
    internal ImmutableArray<long>? Shared { get; }

    /// <summary>The per-example index tuples, or null.</summary>
    internal ImmutableArray<ImmutableArray<long>>? PerExampleIndices { get; }

    /// <summary>True for <see cref="None"/>.</summary>
    public bool IsNone => Shared is null && PerExampleIndices is null && Function is null;

    /// <summary>True for a target computed by a function of the output (<see cref="Score(Func{Tensor, Tensor}, string?)"/> and its forms).</summary>
    public bool IsScore => Function is not null;

    /// <summary>Number of examples a per-example target is for, or null for one shared by every example.</summary>
    public int? ExampleCount => PerExampleIndices?.Length ?? Function?.ExampleCount;

    /// <summary>Converts a class index.</summary>
    public static implicit operator Target(int index) => Index(index);

    /// <summary>Converts a class index.</summary>
    public static implicit operator Target(long index) => Index(index);

    /// <summary>Converts one class index per example.</summary>
    public static implicit operator Target(int[] perExample) => PerExample(perExample.Select(i => (long)i).ToArray());

    /// <summary>Converts one class index per example.</summary>
    public static implicit operator Target(long[] perExample) => PerExample(perExample);

    /// <summary>
    /// The target for a batch made of <paramref name="times"/> copies of the original batch: per-example targets are
    /// tiled (<paramref name="interleave"/> false: copy after copy, as Captum's path methods do) or each repeated in
    /// place (<paramref name="interleave"/> true: example-major, as NoiseTunnel and GradientShap do).
    /// </summary>
    internal Target Expand(int times, bool interleave)
    {
        if (times == 1) return this;
        if (Function is { } f) return f.ExampleCount is null ? this : new(f.WithRows(ExpandRows(f.BaseRows, times, interleave)));
        if (PerExampleIndices is not { } list) return this;
        var builder = ImmutableArray.CreateBuilder<ImmutableArray<long>>(list.Length * times);
        if (interleave)
            foreach (var t in list) for (int k = 0; k < times; k++) builder.Add(t);
        else
            for (int k = 0; k < times; k++) builder.AddRange(list);
        return new(null, builder.MoveToImmutable());
    }

    private static ImmutableArray<int> ExpandRows(ImmutableArray<int> rows, int times, bool interleave)
    {
        var builder = ImmutableArray.CreateBuilder<int>(rows.Length * times);
        if (interleave)
            foreach (var r in rows) for (int k = 0; k < times; k++) builder.Add(r);
        else
            for (int k = 0; k < times; k++) builder.AddRange(rows);
        return builder.MoveToImmutable();
    }

    /// <summary>The target of example <paramref name="example"/> alone (for methods that loop over examples).</summary>
    internal Target ForExample(int example)
    {
        if (Function is { } f) return f.ExampleCount is null ? this : new(f.WithRows([f.BaseRows[example]]));
        return PerExampleIndices is { } list ? PerExampleElements([.. list[example]]) : this;
    }

    /// <inheritdoc />
    public override string ToString()
    {
        if (Function is { } f) return f.Name;
        if (IsNone) return "none";
        static string Tuple(ImmutableArray<long> t) => t.Length == 1 ? t[0].ToString() : "(" + string.Join(", ", t) + ")";
        if (Shared is { } s) return Tuple(s);
        var sb = new StringBuilder("[");
        sb.AppendJoin(", ", PerExampleIndices!.Value.Select(Tuple));
        return sb.Append(']').ToString();
    }

    /// <inheritdoc />
    public bool Equals(Target? other)
    {
        if (other is null) return false;
        if (Function is not null || other.Function is not null)
            return Function is not null && other.Function is not null && Function.SameAs(other.Function);
        return ToString() == other.ToString();
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Target);

    /// <inheritdoc />
    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);
}
