using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace FluentAttrib.Onnx;

/// <summary>
/// An ONNX Runtime session seen as a model of TorchSharp tensors, ready to explain with
/// <see cref="OnnxFluent.extension(Fluent).Explain(OnnxModel)">Fluent.Explain(model)</see>: which graph inputs the tensors
/// feed, which output is explained, how many rows go into one session run, and an optional head applied after the
/// session. An immutable value: every setter returns a new model that shares the session. The session is not owned:
/// dispose it yourself after the last use.
/// </summary>
/// <remarks>
/// <para><b>Batching.</b> A graph whose inputs have a dynamic first dimension runs a whole pass of perturbed copies in
/// one session run (or in runs of at most <see cref="RowsPerRun"/> rows); a graph with a fixed first dimension N
/// (typically 1) runs N rows at a time, the last run padded with copies of the last row. Either way a pass is converted
/// once: each tensor is made contiguous in the graph input's element type on the CPU, and ONNX Runtime reads it in
/// place, row block by row block, and writes the output in place into one TorchSharp tensor (no copy in between when the
/// output's shape is known from the graph).</para>
/// <para><b>Gradients.</b> ONNX Runtime computes no gradients: methods that need them throw
/// <see cref="GradientsUnavailableException"/> before the first pass.</para>
/// </remarks>
public sealed class OnnxModel
{
    private readonly OnnxRunner runner;

    private OnnxModel(OnnxRunner runner, OnnxModelSettings settings)
    {
        this.runner = runner;
        Settings = settings;
    }

    /// <summary>
    /// The model of <paramref name="session"/>: every graph input fed in the session's order, its only output
    /// (a graph with several outputs needs <see cref="Output(string)"/>), no head.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="session"/> is null.</exception>
    /// <exception cref="ArgumentException">The graph has no input or no tensor output.</exception>
    public static OnnxModel From(InferenceSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var inputs = session.InputMetadata.Keys.ToArray();
        if (inputs.Length == 0) throw new ArgumentException("The ONNX graph has no input to attribute to.", nameof(session));
        var outputs = session.OutputMetadata.Keys.ToArray();
        if (outputs.Length == 0) throw new ArgumentException("The ONNX graph has no output.", nameof(session));
        var settings = new OnnxModelSettings(inputs, outputs.Length == 1 ? outputs[0] : null, null, null);
        return new OnnxModel(new OnnxRunner(session), settings);
    }

    /// <summary>The session the model runs.</summary>
    public InferenceSession Session => runner.Session;

    /// <summary>The model's settings, read back by the setters' names (<c>Settings.Inputs</c>, <c>Settings.Output</c>, ...).</summary>
    public OnnxModelSettings Settings { get; }

    /// <summary>
    /// Feeds the graph inputs <paramref name="names"/>, in this order: the attributed inputs first, then the run's
    /// additional arguments (<c>WithAdditionalArguments</c>). Graph inputs not named keep their defaults (optional inputs).
    /// </summary>
    /// <exception cref="ArgumentException">No name, a name twice, or a name that is not a graph input (the message lists them).</exception>
    public OnnxModel Inputs(params string[] names)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.Length == 0) throw new ArgumentException("Name at least one graph input.", nameof(names));
        foreach (var name in names)
        {
            if (name is null) throw new ArgumentNullException(nameof(names), "An input name is null.");
            if (!Session.InputMetadata.ContainsKey(name))
                throw new ArgumentException($"The ONNX graph has no input '{name}'; its inputs are {OnnxRunner.List(Session.InputMetadata.Keys)}.", nameof(names));
        }
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Length)
            throw new ArgumentException($"An input is named twice in {OnnxRunner.List(names)}.", nameof(names));
        return new OnnxModel(runner, Settings with { InputList = names.ToArray() });
    }

    /// <summary>Explains the graph output <paramref name="name"/> (needed when the graph has several outputs).</summary>
    /// <exception cref="ArgumentException">The graph has no such output (the message lists them), or it is not a tensor.</exception>
    public OnnxModel Output(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!Session.OutputMetadata.TryGetValue(name, out var meta))
            throw new ArgumentException($"The ONNX graph has no output '{name}'; its outputs are {OnnxRunner.List(Session.OutputMetadata.Keys)}.", nameof(name));
        if (!meta.IsTensor || meta.IsString)
            throw new ArgumentException($"The ONNX output '{name}' is a {meta.OnnxValueType}{(meta.IsString ? " of strings" : "")}, not a numeric tensor.", nameof(name));
        return new OnnxModel(runner, Settings with { Output = name });
    }

    /// <summary>
    /// Runs at most <paramref name="rows"/> rows per session run. For a graph with a dynamic first dimension the
    /// default is the whole pass; for a graph with a fixed first dimension N, <paramref name="rows"/> must be N (the default).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rows"/> is less than 1.</exception>
    public OnnxModel RowsPerRun(int rows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        return new OnnxModel(runner, Settings with { RowsPerRun = rows });
    }

    /// <summary>
    /// Applies <paramref name="head"/> (TorchSharp) to the session's output, e.g. a classifier on an ONNX feature
    /// extractor, a softmax, or a reshape; the explained output is the head's. It must keep one row per row.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="head"/> is null.</exception>
    public OnnxModel Head(Func<Tensor, Tensor> head)
    {
        ArgumentNullException.ThrowIfNull(head);
        return new OnnxModel(runner, Settings with { Head = head });
    }

    /// <summary>
    /// Runs the model on <paramref name="inputs"/> (one tensor per fed graph input, in <c>Settings.Inputs</c> order,
    /// each with a leading batch dimension) and returns the output (after the head) on the first input's device.
    /// </summary>
    /// <exception cref="ArgumentException">Not one tensor per fed input, batch sizes differ, a shape or element type
    /// the graph does not accept, or ONNX Runtime failed (the message says which input and shape).</exception>
    /// <exception cref="InvalidOperationException">The graph has several outputs and none was chosen with <see cref="Output(string)"/>.</exception>
    public Tensor Run(params Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var output = runner.Run(Settings, inputs);
        return Settings.Head is { } head ? head(output) : output;
    }

    /// <summary>What the model is, for messages: the graph's name and the output explained.</summary>
    public override string ToString() => runner.Describe(Settings);
}

/// <summary>The settings of an <see cref="OnnxModel"/>, read back by the setters' names.</summary>
public sealed record OnnxModelSettings
{
    internal OnnxModelSettings(string[] inputs, string? output, int? rowsPerRun, Func<Tensor, Tensor>? head)
    {
        InputList = inputs;
        Output = output;
        RowsPerRun = rowsPerRun;
        Head = head;
    }

    internal string[] InputList { get; init; }

    /// <summary>The graph inputs fed, in the order tensors are passed (attributed inputs, then additional arguments).</summary>
    public IReadOnlyList<string> Inputs => InputList;

    /// <summary>The graph output explained; null while a graph with several outputs has none chosen.</summary>
    public string? Output { get; internal init; }

    /// <summary>Rows per session run set by the user; null for the default (the whole pass, or the graph's fixed batch size).</summary>
    public int? RowsPerRun { get; internal init; }

    /// <summary>The TorchSharp head applied to the session's output, or null.</summary>
    public Func<Tensor, Tensor>? Head { get; internal init; }
}
