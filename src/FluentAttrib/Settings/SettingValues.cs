using System.Collections.Immutable;
using FluentAttrib.Core;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// The stored settings of every method, metric and noise tunnel: one immutable value per concept. A method reads
/// only the concepts it declares (its capability interfaces); the rest keep their defaults. Records compare by
/// value, lists element-wise (<see cref="ValueList{T}"/>), tensors by reference.
/// </summary>
internal sealed partial record SettingValues
{
    public int Steps { get; init; } = Defaults.Steps;
    public Quadrature Quadrature { get; init; } = Defaults.Quadrature;
    public Baselines Baseline { get; init; } = Baselines.Zero;
    public ValueList<Tensor> BaselineDistribution { get; init; } = [];
    public int Samples { get; init; } = 1;
    public long? Seed { get; init; }
    public int? PerturbationsPerPass { get; init; }
    public int? InternalBatchSize { get; init; }
    public ValueList<double> StdDevs { get; init; } = [0.0];
    public bool MultiplyByInputs { get; init; } = true;
    public bool ReturnDelta { get; init; }
    public FeatureMask? Mask { get; init; }
    public double Eps { get; init; } = Defaults.Eps;
    public bool TreatUnsupportedAsLinear { get; init; }
    public bool CaptumQuirks { get; init; } = true;
    public DeepLiftAttributionFunction? CustomAttribution { get; init; }
    public bool Incremental { get; init; } = true;
    public bool ReturnInputShape { get; init; } = true;

    // Method-specific concepts.
    public ValueList<ValueList<long>> Windows { get; init; } = [];
    public ValueList<ValueList<long>> Strides { get; init; } = [[1L]];
    public SurrogateModel Surrogate { get; init; } = SurrogateModel.Lasso(Defaults.LimeLassoAlpha);
    public double KernelWidth { get; init; } = Defaults.LimeKernelWidth;
    public LimeDistance Distance { get; init; } = LimeDistance.Cosine;
    public bool Absolute { get; init; } = true;
    public bool Relu { get; init; }
    public bool KeepChannels { get; init; }
    public ValueDictionary<string, LrpRule> LayerRules { get; init; } = new(ImmutableDictionary<string, LrpRule>.Empty.WithComparers(StringComparer.Ordinal));
    public ValueDictionary<Type, LrpRule> TypeRules { get; init; } = new(ImmutableDictionary<Type, LrpRule>.Empty);
    public InterpolationMode Interpolation { get; init; } = InterpolationMode.Nearest;
    public bool AtLayerInput { get; init; }
    public bool DrawBaselineFromDistribution { get; init; }
    public bool Normalize { get; init; }
    public double Radius { get; init; } = Defaults.SensitivityRadius;
    public int GridSize { get; init; } = Defaults.RiseGridSize;
    public double KeepProbability { get; init; } = Defaults.RiseKeepProbability;

    // Attention-aware methods (AttentionRollout, AttentionFlow, GradientWeightedRollout).
    public ValueList<Layer> AttentionLayers { get; init; } = [];
    public AttentionReadout Readout { get; init; } = AttentionReadout.FirstToken;
    public AttentionHeadFusion HeadFusion { get; init; } = AttentionHeadFusion.Mean;
    public bool DetachAttention { get; init; }

    // SensitivityMax's perturbation functions (null: the built-in uniform noise of radius Radius); at most one is set.
    public Func<Tensor, Tensor>? SensitivityPerturbation { get; init; }
    public Func<IReadOnlyList<Tensor>, Tensor[]>? SensitivityMultiInputPerturbation { get; init; }

    // Evaluation metrics (Quantus's concepts; each metric's Default sets its own defaults).
    public AttributionNormalization Normalization { get; init; } = AttributionNormalization.MaxOfBatch;
    public bool Softmax { get; init; }
    public Substrate Substrate { get; init; } = Substrate.Minimum;
    public int FeaturesPerStep { get; init; } = 1;
    public ValueList<int> PatchSizes { get; init; } = [8];
    public PerturbationOrder Order { get; init; } = PerturbationOrder.MostRelevantFirst;
    public int Regions { get; init; } = 100;
    public ValueList<double> Percentages { get; init; } = [];
    public double Threshold { get; init; } = 1e-5;
    public Similarity Similarity { get; init; } = Similarity.Pearson;
    public int SubsetSize { get; init; } = 224;
    public int TopK { get; init; } = 1000;
    public bool ScaleByMaskSize { get; init; }
    public bool KeepPositive { get; init; }
    public bool WeightByMaskSize { get; init; }
    public bool Cascade { get; init; } = true;
    public bool LastOnly { get; init; }
    public bool ReturnAuc { get; init; }
    public double InputShift { get; init; } = -1;
    public int Classes { get; init; } = 1000;
    public bool QuantusQuirks { get; init; } = true;
}
