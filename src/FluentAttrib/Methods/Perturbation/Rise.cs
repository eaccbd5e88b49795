using FluentAttrib.Core;
using FluentAttrib.Core.Perturbation;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// RISE, Randomized Input Sampling for Explanation (Petsiuk, Das and Saenko, 2018): a black-box saliency method for
/// images (and other inputs with channels and 1–3 spatial dimensions). It evaluates the model on
/// <c>Settings.Samples</c> randomly masked copies of each example and attributes to every element the average target
/// output of the copies weighted by how much of that element each mask kept, divided by the keep probability:
/// S(x) = Σₙ f(x ⊙ Mₙ) · Mₙ / (N · p). Needs only forward passes, so it explains any model, ONNX Runtime sessions included.
/// </summary>
/// <remarks>
/// <para>Each mask is a grid of <c>Settings.GridSize</c> cells per spatial dimension, each cell kept with probability
/// <c>Settings.KeepProbability</c>; the grid is upsampled (linear, bilinear or trilinear, half-pixel centres) to
/// (GridSize + 1) cells of ⌈size / GridSize⌉ elements and cropped to the input's size at a random offset of less than
/// one cell, so that masks are smooth and not aligned to a fixed grid. A masked element becomes
/// baseline + (input − baseline) · mask (the paper's I ⊙ M for the default zero baseline). One mask covers every
/// channel; every example of the batch sees the same masks, so an example's result does not depend on the rest of the
/// batch. Every random number is drawn before the first pass, so the same <c>Seed</c> gives the same result whatever
/// <c>PerturbationsPerPass</c>. Several inputs get independent masks. The attribution has the input's shape (equal
/// across channels) and the model output's floating dtype.</para>
/// <para>Not in Captum; the reference implementation is the authors' (github.com/eclique/RISE), whose defaults for
/// ImageNet models are 7 cells, p = 0.5 and 4000–8000 masks.</para>
/// </remarks>
public sealed record Rise : AttributionMethod,
    ISamplesSetting, ISeedSetting, IBaselineSetting, IPerturbationsPerPassSetting
{
    private Rise(SettingValues values) : base(values) { }

    /// <summary>
    /// <see cref="Defaults.RiseSamples"/> masks of <see cref="Defaults.RiseGridSize"/> cells per spatial dimension,
    /// each cell kept with probability <see cref="Defaults.RiseKeepProbability"/>, zero baseline, passes planned from
    /// the memory budget, torch's default random generator.
    /// </summary>
    public static Rise Default { get; } = new(new SettingValues
    {
        Samples = Defaults.RiseSamples,
        GridSize = Defaults.RiseGridSize,
        KeepProbability = Defaults.RiseKeepProbability,
    });

    /// <summary>The default method with <paramref name="samples"/> random masks (<see cref="MethodSettingExtensions.Samples{TMethod}"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samples"/> is less than 1.</exception>
    public static Rise Samples(int samples) => Default.Samples(samples);

    /// <summary>The method's settings, read back by name (<c>Settings.Samples</c>, <c>Settings.GridSize</c>, <c>Settings.KeepProbability</c>).</summary>
    public MethodSettings<Rise> Settings => new(Values);

    /// <summary>
    /// Masks of <paramref name="cells"/> cells per spatial dimension before upsampling (the paper's s; the default is
    /// <see cref="Defaults.RiseGridSize"/>). Fewer cells find larger regions.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="cells"/> is less than 1.</exception>
    public Rise GridSize(int cells)
    {
        if (cells < 1) throw new ArgumentOutOfRangeException(nameof(cells), cells, "A RISE mask needs at least 1 cell per dimension.");
        return this with { Values = Values with { GridSize = cells } };
    }

    /// <summary>
    /// Keeps each cell of a mask with probability <paramref name="probability"/> (the paper's p; the default is
    /// <see cref="Defaults.RiseKeepProbability"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="probability"/> is not in (0, 1].</exception>
    public Rise KeepProbability(double probability)
    {
        if (!(probability > 0 && probability <= 1))
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "The keep probability is in (0, 1].");
        return this with { Values = Values with { KeepProbability = probability } };
    }

    /// <inheritdoc />
    public override string Describe() =>
        $"Rise({Values.Samples} masks, {Values.GridSize} cells, keep probability {Values.KeepProbability:G3}, baselines {Values.Baseline}" +
        (Values.Seed is { } s ? $", seed {s})" : ")");

    internal override Attribution Attribute(AttributionContext context)
    {
        var inputs = context.Inputs;
        for (int i = 0; i < inputs.Length; i++)
        {
            if (inputs[i].dim() is < 3 or > 5)
                throw new ArgumentException(
                    $"RISE masks inputs with channels and 1–3 spatial dimensions, (B, C, L), (B, C, H, W) or (B, C, D, H, W); input {i} has shape {Shapes.Format(inputs[i].shape)}.",
                    "inputs");
            if (!inputs[i].is_floating_point())
                throw new ArgumentException($"RISE blends inputs with soft masks, so input {i} must be floating-point, not {inputs[i].dtype}.", "inputs");
        }
        int n = Values.Samples;
        using var scope = NewDisposeScope();
        var baselines = Values.Baseline.MaterializeAll(inputs, context.Checks);
        using var generator = RandomPermutations.CreateGenerator(Values.Seed, inputs[0].device);
        var masks = inputs.Select(x => RiseMasks.Draw(x, n, Values.GridSize, Values.KeepProbability, generator)).ToArray();

        // Copy j masks every input with its mask j (independent masks per input): baseline + (input − baseline) · mask.
        var differences = inputs.Select((x, i) => (x - baselines[i]).unsqueeze(0)).ToArray();
        var passMasks = new Tensor[inputs.Length];
        var sums = new Tensor?[inputs.Length];
        var perPass = PerturbationEngine.PerturbationsPerPass(context, Values.PerturbationsPerPass);
        PerturbationEngine.Evaluate(context, Name, n, perPass, (start, k) =>
        {
            var batch = new Tensor[inputs.Length];
            for (int i = 0; i < inputs.Length; i++)
            {
                passMasks[i] = masks[i].Build(start, k);                                     // (k, 1, S...)
                var m = passMasks[i].to(inputs[i].dtype).unsqueeze(1);                        // (k, 1, 1, S...)
                batch[i] = addcmul(baselines[i].unsqueeze(0), differences[i], m, 1)
                    .reshape([k * inputs[i].shape[0], .. inputs[i].shape[1..]]);
            }
            return batch;
        }, null, (start, k, selected) =>
        {
            // S = Σₙ f(x ⊙ Mₙ) Mₙ / (N p), accumulated in the pass, with the masks the pass was built from.
            for (int i = 0; i < inputs.Length; i++)
            {
                sums[i] ??= zeros([inputs[i].shape[0], inputs[i].shape[2..].Aggregate(1L, (a, b) => a * b)], dtype: selected.dtype, device: selected.device)
                    .MoveToOuterDisposeScope();
                sums[i]!.add_(selected.t().matmul(passMasks[i].to(selected.dtype, selected.device).reshape(k, -1))); // (B, S)
            }
        }, out _);

        var values = new Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            var x = inputs[i];
            var sum = sums[i]!.div_(n * Values.KeepProbability);
            values[i] = sum.reshape([x.shape[0], 1, .. x.shape[2..]]).expand(x.shape).contiguous()
                .to(sum.dtype, x.device).MoveToOuterDisposeScope();
        }
        return Result(context, values);
    }
}

/// <summary>The random masks of one input: low-resolution grids and offsets drawn up front, upsampled on demand.</summary>
internal sealed class RiseMasks
{
    private readonly Tensor grids;      // (N, 1, s, ..., s), 0/1, float32
    private readonly long[] offsets;    // N × D, row-major: per mask, per spatial dimension, in [0, cell)
    private readonly long[] spatial;
    private readonly long[] upsampled;

    private RiseMasks(Tensor grids, long[] offsets, long[] spatial, long[] upsampled)
    {
        this.grids = grids;
        this.offsets = offsets;
        this.spatial = spatial;
        this.upsampled = upsampled;
    }

    /// <summary>Draws <paramref name="n"/> masks for <paramref name="input"/> (B, C, S...), on its device.</summary>
    public static RiseMasks Draw(Tensor input, int n, int gridSize, double keep, Generator? generator)
    {
        long[] spatial = input.shape[2..];
        long[] cells = spatial.Select(s => (s + gridSize - 1) / gridSize).ToArray();
        long[] up = cells.Select(c => (gridSize + 1) * c).ToArray();
        long[] gridShape = [n, 1, .. Enumerable.Repeat((long)gridSize, spatial.Length)];
        var grids = rand(gridShape, dtype: ScalarType.Float32, device: input.device, generator: generator).lt(keep).to(ScalarType.Float32);
        var offsets = rand([n, spatial.Length], dtype: ScalarType.Float64, device: input.device, generator: generator)
            .mul(tensor(cells.Select(c => (double)c).ToArray(), dtype: ScalarType.Float64, device: input.device))
            .floor().to(ScalarType.Int64);
        // The offsets are read to the host once, here, so that building a pass's masks needs no device synchronisation.
        return new RiseMasks(grids, offsets.cpu().data<long>().ToArray(), spatial, up);
    }

    /// <summary>Masks [start, start + k): (k, 1, S...) float32 on the input's device.</summary>
    public Tensor Build(int start, int k)
    {
        var mode = spatial.Length switch
        {
            1 => InterpolationMode.Linear,
            2 => InterpolationMode.Bilinear,
            _ => InterpolationMode.Trilinear,
        };
        var masks = nn.functional.interpolate(grids.narrow(0, start, k), upsampled, mode: mode, align_corners: false);
        // Each mask's crop: a view at its own offset in every spatial dimension, then one copy of the k crops.
        int dims = spatial.Length;
        var crops = new Tensor[k];
        for (int j = 0; j < k; j++)
        {
            var crop = masks[j];                                                                  // (1, S'...)
            for (int d = 0; d < dims; d++) crop = crop.narrow(d + 1, offsets[(start + j) * dims + d], spatial[d]);
            crops[j] = crop;
        }
        masks = stack(crops);
        return masks;
    }
}
