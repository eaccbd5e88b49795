using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Core;

/// <summary>
/// Keeps the model as it was. By default a model with a module whose forward depends on training mode (BatchNorm,
/// Dropout, InstanceNorm, RReLU) in training mode is refused: its attributions would vary from run to run and the
/// forward passes would move BatchNorm's running statistics. With the run's <c>WithTrainingMode()</c> the model runs
/// as it is, and every buffer and training flag is restored afterwards — after success, an exception or a
/// cancellation.
/// </summary>
internal sealed class ModelGuard : IDisposable
{
    private static readonly string[] ModeDependent = ["BatchNorm", "Dropout", "AlphaDropout", "FeatureAlphaDropout", "InstanceNorm", "RReLU"];

    private readonly List<(nn.Module Module, bool Training)> _flags = [];
    private readonly List<(Tensor Buffer, Tensor Saved)> _buffers = [];

    private ModelGuard() { }

    /// <summary>
    /// Checks <paramref name="model"/>'s modes; with <paramref name="allowTraining"/>, snapshots what a forward pass
    /// in training mode can change and returns a guard that restores it on dispose (null when nothing to restore).
    /// </summary>
    /// <exception cref="ModelInTrainingModeException">A mode-dependent module is in training mode and it is not allowed.</exception>
    public static ModelGuard? Enter(nn.Module? model, bool allowTraining)
    {
        if (model is null) return null;
        var training = TrainingModules(model);
        if (training.Count == 0) return null;
        if (!allowTraining) throw new ModelInTrainingModeException(training);
        var guard = new ModelGuard();
        Visit(model, m => guard._flags.Add((m, m.training)));
        using (no_grad())
            foreach (var (_, b) in model.named_buffers())
                guard._buffers.Add((b, b.detach().clone().DetachFromDisposeScope()));
        return guard;
    }

    /// <summary>Paths (type) of the mode-dependent modules of <paramref name="model"/> that are in training mode.</summary>
    public static IReadOnlyList<string> TrainingModules(nn.Module model)
    {
        var found = new List<string>();
        if (IsModeDependent(model) && model.training) found.Add($"(root) ({model.GetType().Name})");
        foreach (var (path, m) in model.named_modules())
            if (IsModeDependent(m) && m.training) found.Add($"'{path}' ({m.GetType().Name})");
        return found;
    }

    private static bool IsModeDependent(nn.Module m)
    {
        var name = m.GetType().Name;
        return ModeDependent.Any(p => name.StartsWith(p, StringComparison.OrdinalIgnoreCase));
    }

    private static void Visit(nn.Module m, Action<nn.Module> action)
    {
        action(m);
        foreach (var (_, child) in m.named_children()) Visit(child, action);
    }

    /// <summary>Restores every buffer and training flag (parents first, since <c>train</c> recurses).</summary>
    public void Dispose()
    {
        using (no_grad())
            foreach (var (buffer, saved) in _buffers)
            {
                if (!buffer.IsInvalid) buffer.copy_(saved);
                saved.Dispose();
            }
        _buffers.Clear();
        foreach (var (module, training) in _flags) module.train(training);
        _flags.Clear();
    }
}
