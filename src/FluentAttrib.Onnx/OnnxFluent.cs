using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace FluentAttrib.Onnx;

/// <summary>
/// ONNX entry points of the fluent API: <c>Fluent.Explain(session)</c> and <c>Fluent.Explain(model)</c> (with
/// <c>using FluentAttrib.Onnx;</c>), or <c>Explain(session)</c> with <c>using static FluentAttrib.Onnx.OnnxFluent;</c>
/// beside <c>using static FluentAttrib.Fluent;</c>.
/// </summary>
public static class OnnxFluent
{
    extension(Fluent)
    {
        /// <summary>
        /// Explains an ONNX Runtime session with one fed input per graph input (in the session's order) and its only
        /// output. For other choices (input and output names, rows per run, a head after the session) explain an
        /// <see cref="OnnxModel"/>: <c>Explain(OnnxModel.From(session).Output("logits"))</c>.
        /// </summary>
        /// <exception cref="ArgumentNullException"><paramref name="session"/> is null.</exception>
        /// <exception cref="ArgumentException">The graph has no input or no output.</exception>
        public static Explainer Explain(InferenceSession session) => Explain(OnnxModel.From(session));

        /// <summary>
        /// Explains an ONNX model through the same fluent API as a TorchSharp module. The perturbation methods
        /// (Occlusion, FeatureAblation, FeaturePermutation, ShapleyValues, ShapleyValueSampling), the surrogates (Lime,
        /// KernelShap), Rise, NoiseTunnel over them and the metrics work; methods that need gradients throw
        /// <see cref="GradientsUnavailableException"/> before the first pass.
        /// </summary>
        /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
        /// <exception cref="InvalidOperationException">The graph has several outputs and none was chosen with <see cref="OnnxModel.Output(string)"/>.</exception>
        public static Explainer Explain(OnnxModel model)
        {
            ArgumentNullException.ThrowIfNull(model);
            if (model.Settings.Output is null)
                throw new InvalidOperationException(
                    $"The ONNX graph has {model.Session.OutputMetadata.Count} outputs ({OnnxRunner.List(model.Session.OutputMetadata.Keys)}): " +
                    "choose the one to explain with OnnxModel.From(session).Output(name).");
            return Fluent.ExplainBlackBox((Tensor[] tensors) => model.Run(tensors), model.ToString());
        }
    }
}
