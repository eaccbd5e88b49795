using FluentAttrib.Core.Metrics;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Faithfulness correlation (Bhatt et al., 2020; Quantus's <c>FaithfulnessCorrelation</c>): <c>Samples</c> times, a
/// random subset of <c>SubsetSize</c> input elements is replaced by the substrate of the original example; the score
/// is the similarity (Pearson by default) between the subsets' summed attributions and the drops of the target score
/// they cause, one value per example in [−1, 1]. Higher is better.
/// </summary>
/// <remarks>Random: set <c>Seed</c> for repeatable subsets (torch's generator; Quantus draws with numpy, so only
/// RNG-independent configurations agree exactly). Cost: one forward pass per subset and example, batched.</remarks>
public sealed record FaithfulnessCorrelation : AttributionMetric,
    IAttributionPreprocessingSetting, ISoftmaxSetting, ISubstrateSetting, ISimilaritySetting, ISamplesSetting, ISeedSetting, IInternalBatchSizeSetting
{
    private FaithfulnessCorrelation(SettingValues values) : base(values) { }

    /// <summary>Quantus's defaults: 100 subsets of 224 elements, substrate minimum, Pearson, normalized by the batch maximum, signed, logits.</summary>
    public static FaithfulnessCorrelation Default { get; } = new(new SettingValues
    {
        Normalization = AttributionNormalization.MaxOfBatch, Absolute = false, Softmax = false, Substrate = FluentAttrib.Substrate.Minimum,
        Similarity = FluentAttrib.Similarity.Pearson, Samples = Defaults.FaithfulnessCorrelationSamples, SubsetSize = Defaults.FaithfulnessCorrelationSubsetSize,
    });

    /// <summary>The default metric with <paramref name="samples"/> random subsets (Quantus's <c>nr_runs</c>).</summary>
    public static FaithfulnessCorrelation Samples(int samples) => Default.Samples(samples);

    /// <summary>The metric's settings, read back by name.</summary>
    public MethodSettings<FaithfulnessCorrelation> Settings => new(Values);

    /// <summary>Elements per random subset (Quantus's <c>subset_size</c>); at most the number of input elements.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is less than 1.</exception>
    public FaithfulnessCorrelation SubsetSize(int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        return this with { Values = Values with { SubsetSize = size } };
    }

    /// <inheritdoc />
    public override string Describe() => $"FaithfulnessCorrelation({Values.Samples} subsets of {Values.SubsetSize}, {Values.Substrate}, {Values.Similarity})";

    internal override Tensor Evaluate(MetricRequest request)
    {
        var v = Values;
        var data = PreparedBatch.Of(request, v, Name);
        int n = data.Elements, runs = v.Samples, size = v.SubsetSize;
        if (size > n)
            throw new ArgumentException($"{Name}: the subset size {size} exceeds the {n} elements of an example.", "subsetSize");
        var field = v.Substrate.IsStatistic || v.Substrate.Kind == Substrate.SubstrateKind.Constant ? null : Perturbations.FieldValues(data.Input, v.Substrate);
        using var generator = v.Seed is { } seed ? new Generator(unchecked((ulong)seed)) : null;
        var subsets = new int[data.Batch][][];
        var sums = new double[data.Batch][];
        var values = new double[data.Batch][];
        for (int b = 0; b < data.Batch; b++)
        {
            values[b] = field?[b] ?? Perturbations.OriginalValues(data.X[b], v.Substrate);
            subsets[b] = new int[runs][];
            sums[b] = new double[runs];
            for (int r = 0; r < runs; r++)
            {
                using var perm = randperm(n, generator: generator);
                subsets[b][r] = perm.data<long>().Take(size).Select(i => (int)i).ToArray();
                foreach (int i in subsets[b][r]) sums[b][r] += data.A[b][i];
            }
        }
        var scorer = new MetricScorer(request.Context, v.Softmax, Name, v.InternalBatchSize);
        var original = scorer.Scores(data.Input);
        var owners = Enumerable.Range(0, data.Batch).SelectMany(b => Enumerable.Repeat((long)b, runs)).ToArray();
        var scores = scorer.Scores(owners.Length, owners, (start, count) =>
        {
            var rows = new double[count * n];
            for (int j = 0; j < count; j++)
            {
                int b = (start + j) / runs, r = (start + j) % runs;
                data.X[b].CopyTo(rows, j * n);
                foreach (int i in subsets[b][r]) rows[j * n + i] = values[b][i];
            }
            return tensor(rows, dtype: ScalarType.Float64).to(data.Input.dtype).to(data.Input.device).reshape([count, .. data.ExampleShape]);
        });
        var result = new double[data.Batch];
        for (int b = 0; b < data.Batch; b++)
        {
            var drops = Enumerable.Range(0, runs).Select(r => original[b] - scores[b * runs + r]).ToArray();
            result[b] = MetricMath.Compare(v.Similarity, sums[b], drops);
        }
        return MetricMath.ToTensor(result, data.Input);
    }
}

public static partial class MethodSettingReadBack
{
    extension(MethodSettings<FaithfulnessCorrelation> settings)
    {
        /// <summary>Elements per random subset.</summary>
        public int SubsetSize => settings.Values.SubsetSize;
    }
}
