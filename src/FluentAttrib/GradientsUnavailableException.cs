namespace FluentAttrib;

/// <summary>
/// A method that needs gradients (Saliency, Integrated Gradients, DeepLift, LRP, GradientShap, the layer and neuron
/// methods, ...) was asked to explain a black-box model, whose forward pass is not a TorchSharp computation and has no
/// gradients: an ONNX Runtime session, an ML.NET model, any function given to
/// <see cref="Fluent.ExplainBlackBox(Func{TorchSharp.torch.Tensor[], TorchSharp.torch.Tensor}, string?)"/>. Thrown before the
/// first forward pass. Use a method that needs only forward passes: Occlusion, FeatureAblation, FeaturePermutation,
/// ShapleyValues, ShapleyValueSampling, Lime, KernelShap, Rise (or NoiseTunnel over one of them).
/// </summary>
public sealed class GradientsUnavailableException : NotSupportedException
{
    /// <summary>Creates the exception for <paramref name="method"/> on <paramref name="model"/>.</summary>
    /// <param name="method">The method's name.</param>
    /// <param name="model">What the model is, as the explainer describes it.</param>
    public GradientsUnavailableException(string method, string model)
        : base($"{method} needs gradients, but {model} is a black box without them (its forward pass is not a TorchSharp computation). " +
               "Use a method that needs only forward passes: Occlusion, FeatureAblation, FeaturePermutation, ShapleyValues, " +
               "ShapleyValueSampling, Lime, KernelShap or Rise (NoiseTunnel over one of them works too).")
    {
        Method = method;
        Model = model;
    }

    /// <summary>The method that needs gradients.</summary>
    public string Method { get; }

    /// <summary>The black-box model, as described in the message.</summary>
    public string Model { get; }
}
