using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Core;

/// <summary>
/// The checks every run makes before the first forward pass, so that a bad input gives a typed exception naming the
/// argument instead of a native trace or a silently wrong result. The run's context carries them
/// (<see cref="AttributionContext.Checks"/>), so that baselines are checked where they are materialised.
/// </summary>
internal sealed class RunChecks
{
    private RunChecks(ModelFacts? model, bool allowNonFinite)
    {
        Model = model;
        AllowNonFinite = allowNonFinite;
    }

    /// <summary>What the checks know about the model (null for a plain forward function).</summary>
    public ModelFacts? Model { get; }

    /// <summary>Whether NaN and infinity are allowed in inputs and baselines.</summary>
    public bool AllowNonFinite { get; }

    /// <summary>
    /// Checks the inputs and additional arguments of a run and returns them for the run's context.
    /// </summary>
    public static RunChecks ForRun(ForwardFunction forward, Tensor[] inputs, Tensor[] additional, bool allowNonFinite, bool integerInputs, string method)
    {
        var model = forward.Module is { } m ? ModelFacts.Of(m) : null;
        var checks = new RunChecks(model, allowNonFinite);
        for (int i = 0; i < inputs.Length; i++)
        {
            string name = $"inputs[{i}]";
            var x = inputs[i];
            RequireLive(x, name, $"Input {i}");
            if (x.dim() > 0 && x.shape[0] == 0)
                throw new ArgumentException($"Input {i} has shape {Shapes.Format(x.shape)}: 0 examples. Give at least one example.", "inputs");
            checks.CheckDevice(x, $"Input {i}", "inputs");
            if (x.is_floating_point() || x.is_complex())
            {
                checks.CheckDtype(x, $"Input {i}", "inputs");
                if (!allowNonFinite) RequireFinite(x, $"Input {i}", "inputs");
            }
            else if (x.dtype != ScalarType.Bool)
            {
                if (!integerInputs)
                    throw new ArgumentException(IntegerMessage(i, x.dtype, method), "inputs");
                checks.CheckTokenIds(x, $"Input {i}", "inputs");
            }
        }
        for (int j = 0; j < additional.Length; j++)
        {
            if (additional[j] is null) throw new ArgumentNullException($"additionalArguments[{j}]");
            RequireLive(additional[j], $"additionalArguments[{j}]", $"Additional argument {j}");
            checks.CheckDevice(additional[j], $"Additional argument {j}", "arguments");
        }
        return checks;
    }

    /// <summary>The one message for integer inputs given to a method that needs floating point.</summary>
    public static string IntegerMessage(int index, ScalarType dtype, string method) =>
        $"Input {index} has dtype {dtype}, but {method} needs floating-point inputs (it scales, interpolates or adds noise to them). " +
        "Convert the input with .to(ScalarType.Float32), or, for token ids, attribute to the embedding layer instead: " +
        "Explain(model).For(target).At(\"embedding\").With(LayerIntegratedGradients.Default).Attribute(ids).";

    /// <summary>Throws <see cref="ObjectDisposedException"/> naming <paramref name="name"/> when the tensor was disposed.</summary>
    public static void RequireLive(Tensor t, string name, string what)
    {
        if (t.IsInvalid)
            throw new ObjectDisposedException(name, $"{what} was disposed (its native handle is empty); pass a live tensor.");
    }

    /// <summary>Throws when <paramref name="x"/> holds NaN or an infinity.</summary>
    public static void RequireFinite(Tensor x, string what, string paramName)
    {
        if (x.device_type == DeviceType.META || !(x.is_floating_point() || x.is_complex()) || x.numel() == 0) return;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var finite = isfinite(x.detach());
        if (finite.all().item<bool>()) return;
        long nan = isnan(x.detach()).sum().item<long>();
        long bad = (~finite).sum().item<long>();
        throw new ArgumentException(
            $"{what} contains {nan} NaN and {bad - nan} infinite value(s); attributions would be NaN. " +
            "Clean the data, or call WithNonFiniteValues() on the run to attribute it as it is.", paramName);
    }

    /// <summary>Checks a baseline tensor given by the user (disposed, device, dtype, NaN/Inf, token ids).</summary>
    public void CheckBaseline(int index, Tensor baseline, Tensor input)
    {
        RequireLive(baseline, $"baselines[{index}]", $"Baseline {index}");
        if (baseline.device_type == DeviceType.META)
            throw new ArgumentException($"Baseline {index} is on the meta device (it has a shape but no data).", "baselines");
        if (!AllowNonFinite) RequireFinite(baseline, $"Baseline {index}", "baselines");
        if (!input.is_floating_point() && !input.is_complex() && input.dtype != ScalarType.Bool)
            CheckTokenIds(baseline.to(input.dtype), $"Baseline {index}", "baselines");
    }

    private void CheckDevice(Tensor x, string what, string paramName)
    {
        if (x.device_type == DeviceType.META)
            throw new ArgumentException($"{what} is on the meta device (it has a shape but no data); create it on {Model?.Device?.ToString() ?? "the CPU"}.", paramName);
        if (Model?.Device is { } device && (x.device_type != device.type || (device.type == DeviceType.CUDA && x.device_index != device.index)))
            throw new ArgumentException(
                $"{what} is on {x.device} but the model's parameters are on {device}; move it with .to(...) first.", paramName);
    }

    private void CheckDtype(Tensor x, string what, string paramName)
    {
        if (Model?.FloatingDtype is { } dtype && x.dtype != dtype)
            throw new ArgumentException(
                $"{what} has dtype {x.dtype} but the model's parameters have dtype {dtype}; convert the input with .to(ScalarType.{dtype}) (or the model with .to(ScalarType.{x.dtype})).",
                paramName);
    }

    /// <summary>Throws when <paramref name="ids"/> holds ids outside the vocabulary of the model's largest embedding (when it has one).</summary>
    public void CheckTokenIds(Tensor ids, string what, string paramName)
    {
        if (Model is not { Embeddings.Count: > 0 } model || ids.numel() == 0 || ids.device_type == DeviceType.META) return;
        long min, max;
        using (no_grad())
        {
            min = ids.min().item<long>();
            max = ids.max().item<long>();
        }
        var largest = model.Embeddings.MaxBy(e => e.Count);
        if (min < 0 || max >= largest.Count)
            throw new ArgumentOutOfRangeException(paramName,
                $"{what} holds token ids from {min} to {max}, outside the vocabulary of embedding '{largest.Path}' ({largest.Count} entries: ids 0 to {largest.Count - 1}).");
    }
}

/// <summary>What the checks need to know about a model: its parameters' dtype and device, its embeddings.</summary>
internal sealed class ModelFacts
{
    public ScalarType? FloatingDtype { get; private init; }
    public Device? Device { get; private init; }
    public IReadOnlyList<(string Path, long Count)> Embeddings { get; private init; } = [];

    /// <summary>Reads the facts; throws <see cref="ObjectDisposedException"/> naming the model when it was disposed.</summary>
    public static ModelFacts Of(nn.Module model)
    {
        ScalarType? dtype = null;
        bool mixed = false;
        Device? device = null;
        var embeddings = new List<(string, long)>();
        try
        {
            foreach (var (name, p) in model.named_parameters())
            {
                if (p.IsInvalid)
                    throw new ObjectDisposedException("model", $"The model was disposed (parameter '{name}' has an empty handle); explain a live model.");
                if (!p.is_floating_point()) continue;
                if (dtype is null) dtype = p.dtype;
                else if (dtype != p.dtype) mixed = true;
                device ??= p.device;
            }
            foreach (var (name, b) in model.named_buffers())
                if (b.IsInvalid)
                    throw new ObjectDisposedException("model", $"The model was disposed (buffer '{name}' has an empty handle); explain a live model.");
            foreach (var (path, m) in model.named_modules())
                if (m is TorchSharp.Modules.Embedding e && e.weight is { } w && !w.IsInvalid)
                    embeddings.Add((path, w.shape[0]));
        }
        catch (ObjectDisposedException e) when (e.ObjectName != "model")
        {
            throw new ObjectDisposedException("model", $"The model was disposed; explain a live model. ({e.Message})");
        }
        catch (Exception e) when (e is not ObjectDisposedException && e is InvalidOperationException or NullReferenceException or System.Runtime.InteropServices.ExternalException)
        {
            throw new ObjectDisposedException("model", $"The model cannot be read (was it disposed?): {e.Message}");
        }
        return new ModelFacts { FloatingDtype = mixed ? null : dtype, Device = device, Embeddings = embeddings };
    }
}
