using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Core.Rules;

/// <summary>
/// What rule-based methods (LRP, DeepLift) can do with a module beyond its own rule: shape-only modules pass
/// relevance through unchanged (autograd's gradient of a reshape is exactly that), recurrent modules are refused.
/// </summary>
internal static class RuleSupport
{
    /// <summary>
    /// Modules that only move values around (Flatten, Unflatten, Identity) or, in eval mode, leave them unchanged
    /// (the dropout family). They need no rule: relevance flows through them as the gradient does.
    /// </summary>
    public static bool IsShapeOnly(nn.Module module) => module.GetType().Name is
        "Flatten" or "Unflatten" or "Identity" or "Reshape" or "View" or "Squeeze" or "Unsqueeze"
        || (!module.training && module.GetType().Name is "Dropout" or "Dropout1d" or "Dropout2d" or "Dropout3d" or "AlphaDropout" or "FeatureAlphaDropout");

    /// <summary>Recurrent modules (LSTM, GRU, RNN and their cells), whose gates no rule here covers.</summary>
    public static bool IsRecurrent(nn.Module module) => module.GetType().Name is
        "LSTM" or "GRU" or "RNN" or "LSTMCell" or "GRUCell" or "RNNCell";

    /// <summary>The exception for a layer LRP has no rule for, with a hint that works for that kind of layer.</summary>
    public static ArgumentException NoLrpRule(string method, string path, nn.Module module)
    {
        string api = method == "LRP" ? "Lrp" : "LayerLrp";
        if (IsRecurrent(module))
            return new ArgumentException(
                $"{method} cannot propagate relevance through the recurrent layer {ModuleTree.Describe(path, module)}: no LRP rule covers its gates. " +
                "Attribute this model with a gradient or perturbation method instead (e.g. IntegratedGradients or FeatureAblation), or with a layer " +
                "method on a layer before the recurrent one.", "rules");
        return new ArgumentException(
            $"{method} has no rule for layer {ModuleTree.Describe(path, module)}: there is no default rule for {module.GetType().Name}. " +
            $"For a layer that combines its inputs linearly (weights, sums, averages) set the ε-rule: {api}.Default.Rule(\"{path}\", LrpRule.Epsilon()); " +
            $"a layer that only reshapes its input needs no rule (Flatten, Unflatten, Identity and Dropout in eval mode pass relevance through).",
            "rules");
    }

    /// <summary>The exception for a recurrent module met by DeepLift without the opt-in.</summary>
    public static ArgumentException DeepLiftRecurrent(string method, string path, nn.Module module) => new(
        $"{method} has no rule for the recurrent layer {ModuleTree.Describe(path, module)}: its gates (sigmoid and tanh applied inside the " +
        "module) are invisible to DeepLift's rules, so the result would be the plain gradient × (input − baseline), an approximation without " +
        "the summation-to-delta property. Call TreatUnsupportedAsLinear() to accept that, or use IntegratedGradients.",
        "model");
}
