namespace FluentAttrib;

/// <summary>
/// The model has modules whose forward depends on training mode (BatchNorm, Dropout, InstanceNorm, RReLU) in training
/// mode. Attributions of such a model differ from run to run and its forward passes would move BatchNorm's running
/// statistics, so it is refused. Two ways on: call <c>model.eval()</c> first, or call <c>WithTrainingMode()</c> on the
/// run to attribute the model as it is (every buffer and training flag is restored afterwards).
/// </summary>
public sealed class ModelInTrainingModeException : ArgumentException
{
    /// <summary>Creates the exception for the named modules.</summary>
    /// <param name="modules">The modules in training mode, each as path and type.</param>
    public ModelInTrainingModeException(IReadOnlyList<string> modules)
        : base(Format(modules), "model")
    {
        Modules = modules;
    }

    /// <summary>The modules found in training mode (path and type).</summary>
    public IReadOnlyList<string> Modules { get; }

    private static string Format(IReadOnlyList<string> modules)
    {
        var shown = string.Join(", ", modules.Take(6)) + (modules.Count > 6 ? $" and {modules.Count - 6} more" : "");
        return $"The model is in training mode: {shown} would behave differently from inference (random dropout, batch statistics) " +
               "and BatchNorm would update its running statistics. Call model.eval() before explaining it, or call WithTrainingMode() " +
               "on the run to attribute it as it is (its buffers and training flags are restored afterwards).";
    }
}
