using static TorchSharp.torch;

namespace FluentAttrib.Core;

/// <summary>
/// How a surrogate method draws its binary interpretable samples and weighs them. Samples are drawn one at a time in
/// sample order (as Captum's perturbation functions do), so a seeded result does not depend on how many samples are
/// evaluated per pass.
/// </summary>
internal abstract class SurrogateSampler : IDisposable
{
    /// <summary>Sample number <paramref name="index"/> of an example: a (Count) bool tensor on <paramref name="device"/>.</summary>
    public abstract Tensor Draw(int index, long featureCount, Generator? generator, Device device);

    /// <summary>
    /// Weights (k) in float64 of the binary samples <paramref name="samples"/> (k, Count), given the example's inputs
    /// (1, ...) and the perturbed inputs (k, ...) made from the samples.
    /// </summary>
    public abstract Tensor Weights(Tensor samples, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> perturbed);

    /// <summary>Releases cached tensors.</summary>
    public virtual void Dispose() { }
}

/// <summary>
/// Lime's defaults (Captum's <c>default_perturb_func</c> and <c>get_exp_kernel_similarity_function</c>): each feature
/// is kept with probability 0.5; a sample weighs exp(−d² / (2·width²)) where d is the distance between the flattened
/// (all inputs concatenated) example and its perturbed copy.
/// </summary>
internal sealed class LimeSampler(LimeDistance distance, double kernelWidth) : SurrogateSampler
{
    public override Tensor Draw(int index, long featureCount, Generator? generator, Device device)
    {
        using var half = full(featureCount, 0.5, dtype: ScalarType.Float32, device: device);
        return bernoulli(half, generator).to(ScalarType.Bool);
    }

    public override Tensor Weights(Tensor samples, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> perturbed)
    {
        using var scope = NewDisposeScope();
        long k = samples.shape[0];
        var original = cat(inputs.Select(x => x.reshape(1, -1).to(ScalarType.Float64)).ToArray(), 1);
        var copies = cat(perturbed.Select(x => x.reshape(k, -1).to(ScalarType.Float64)).ToArray(), 1);
        Tensor d = distance == LimeDistance.Cosine
            ? 1 - nn.functional.cosine_similarity(original.expand(k, -1), copies, dim: 1, eps: 1e-8)
            : (copies - original).pow(2).sum(dim: 1).sqrt();
        return (-(d * d) / (2 * kernelWidth * kernelWidth)).exp().MoveToOuterDisposeScope();
    }
}

/// <summary>
/// KernelShap's sampling (Captum's <c>kernel_shap_perturb_generator</c> and similarity kernel): the all-ones and the
/// all-zeros sample first, each weighing 10⁶ (standing in for the Shapley kernel's infinite weight); then samples with
/// k features selected, k drawn with probability ∝ (M − 1) / (k (M − k)) for 1 ≤ k ≤ M − 1 and the k features
/// uniformly at random, each weighing 1 (the Shapley kernel is carried by the sampling distribution).
/// </summary>
internal sealed class KernelShapSampler : SurrogateSampler
{
    /// <summary>Weight of the all-ones and all-zeros samples (Captum's <c>inf_weight</c>).</summary>
    public const double EndpointWeight = 1_000_000.0;

    private Tensor? _sizeProbabilities;

    public override Tensor Draw(int index, long featureCount, Generator? generator, Device device)
    {
        if (index == 0 || featureCount < 2 && index % 2 == 0) return ones(featureCount, dtype: ScalarType.Bool, device: device);
        if (index == 1 || featureCount < 2) return zeros(featureCount, dtype: ScalarType.Bool, device: device);
        using var scope = NewDisposeScope();
        var probs = SizeProbabilities(featureCount, device);
        var selected = multinomial(probs, 1, replacement: true, generator: generator); // (1), on device
        var values = randn(featureCount, dtype: ScalarType.Float32, device: device, generator: generator);
        // The `selected` largest values are kept: rank < selected (Captum: values > their (M − selected)-th smallest).
        var ranks = values.argsort(descending: true).argsort();
        return (ranks < selected).MoveToOuterDisposeScope();
    }

    public override Tensor Weights(Tensor samples, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> perturbed)
    {
        using var scope = NewDisposeScope();
        long featureCount = samples.shape[1];
        var selected = samples.to(ScalarType.Int64).sum(dim: 1);
        var endpoint = (selected == 0).logical_or(selected == featureCount).to(ScalarType.Float64);
        return (endpoint * (EndpointWeight - 1) + 1).MoveToOuterDisposeScope();
    }

    private Tensor SizeProbabilities(long featureCount, Device device)
    {
        if (_sizeProbabilities is { } p && p.device == device && p.shape[0] == featureCount) return p;
        _sizeProbabilities?.Dispose();
        using var scope = NewDisposeScope();
        var k = arange(featureCount, dtype: ScalarType.Float64, device: device);
        var probs = ((featureCount - 1) / (k * (featureCount - k))).masked_fill(k == 0, 0.0);
        _sizeProbabilities = probs.DetachFromDisposeScope();
        return _sizeProbabilities;
    }

    public override void Dispose()
    {
        _sizeProbabilities?.Dispose();
        _sizeProbabilities = null;
    }
}
