using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// Reading settings back: <c>method.Settings.Steps</c>. Each property is offered only on the settings of method types
/// that have that setting, and has the setter's name (see <see cref="MethodSettingExtensions"/>).
/// </summary>
public static partial class MethodSettingReadBack
{
    extension<TMethod>(MethodSettings<TMethod> settings) where TMethod : ConfigurableMethod, IPathSetting
    {
        /// <summary>Integration steps.</summary>
        public int Steps => settings.Values.Steps;

        /// <summary>Integration rule.</summary>
        public Quadrature Quadrature => settings.Values.Quadrature;
    }

    extension<TMethod>(MethodSettings<TMethod> settings) where TMethod : ConfigurableMethod, IBaselineSetting
    {
        /// <summary>The baseline (zero unless set).</summary>
        public Baselines Baseline => settings.Values.Baseline;
    }

    extension<TMethod>(MethodSettings<TMethod> settings) where TMethod : ConfigurableMethod, IBaselineDistributionSetting
    {
        /// <summary>The baseline distribution, one tensor per input (empty when not set).</summary>
        public IReadOnlyList<Tensor> BaselineDistribution => settings.Values.BaselineDistribution;
    }

    extension<TMethod>(MethodSettings<TMethod> settings) where TMethod : ConfigurableMethod, ISamplesSetting
    {
        /// <summary>Samples per example.</summary>
        public int Samples => settings.Values.Samples;
    }

    extension<TMethod>(MethodSettings<TMethod> settings) where TMethod : ConfigurableMethod, ISeedSetting
    {
        /// <summary>The seed, or null for torch's default generator.</summary>
        public long? Seed => settings.Values.Seed;
    }

    extension<TMethod>(MethodSettings<TMethod> settings) where TMethod : ConfigurableMethod, IPerturbationsPerPassSetting
    {
        /// <summary>Perturbed copies per forward pass, or null to plan from the memory budget.</summary>
        public int? PerturbationsPerPass => settings.Values.PerturbationsPerPass;
    }

    extension<TMethod>(MethodSettings<TMethod> settings) where TMethod : ConfigurableMethod, IInternalBatchSizeSetting
    {
        /// <summary>Expanded examples per pass, or null to plan from the memory budget.</summary>
        public int? InternalBatchSize => settings.Values.InternalBatchSize;
    }

    extension<TMethod>(MethodSettings<TMethod> settings) where TMethod : ConfigurableMethod, INoiseSetting
    {
        /// <summary>Noise standard deviations: one for every input, or one per input.</summary>
        public IReadOnlyList<double> StdDevs => settings.Values.StdDevs;
    }

    extension<TMethod>(MethodSettings<TMethod> settings) where TMethod : ConfigurableMethod, IMultiplyByInputsSetting
    {
        /// <summary>Whether the result is multiplied by (input − baseline).</summary>
        public bool MultiplyByInputs => settings.Values.MultiplyByInputs;
    }

    extension<TMethod>(MethodSettings<TMethod> settings) where TMethod : ConfigurableMethod, IDeltaSetting
    {
        /// <summary>Whether the convergence delta is returned.</summary>
        public bool ReturnDelta => settings.Values.ReturnDelta;
    }

    extension<TMethod>(MethodSettings<TMethod> settings) where TMethod : ConfigurableMethod, IMaskSetting
    {
        /// <summary>The feature (or layer) mask, or null for one feature per scalar.</summary>
        public FeatureMask? Mask => settings.Values.Mask;
    }

    extension<TMethod>(MethodSettings<TMethod> settings) where TMethod : ConfigurableMethod, IReturnInputShapeSetting
    {
        /// <summary>Whether attributions have the inputs' shapes (true) or are the surrogate's coefficients.</summary>
        public bool ReturnInputShape => settings.Values.ReturnInputShape;
    }

    extension<TMethod>(MethodSettings<TMethod> settings) where TMethod : ConfigurableMethod, IDeepLiftSetting
    {
        /// <summary>|Δin| below which a rule falls back to the plain gradient.</summary>
        public double Eps => settings.Values.Eps;

        /// <summary>The function that replaces multipliers × (input − baseline), or null.</summary>
        public DeepLiftAttributionFunction? CustomAttribution => settings.Values.CustomAttribution;

        /// <summary>Whether Captum's two rule quirks are reproduced.</summary>
        public bool CaptumQuirks => settings.Values.CaptumQuirks;

        /// <summary>Whether modules without a rule pass the plain gradient.</summary>
        public bool TreatUnsupportedAsLinear => settings.Values.TreatUnsupportedAsLinear;
    }

    extension<TMethod>(MethodSettings<TMethod> settings) where TMethod : ConfigurableMethod, IIncrementalSetting
    {
        /// <summary>Whether incremental evaluation may be used.</summary>
        public bool Incremental => settings.Values.Incremental;
    }

    // Method-specific settings.

    extension(MethodSettings<Occlusion> settings)
    {
        /// <summary>The window shape of each input (one entry for a single-input model).</summary>
        public IReadOnlyList<IReadOnlyList<long>> Windows => [.. settings.Values.Windows.Select(w => (IReadOnlyList<long>)w)];

        /// <summary>The strides: one entry shared by every input, or one per input; an entry of length 1 applies to every dimension.</summary>
        public IReadOnlyList<IReadOnlyList<long>> Strides => [.. settings.Values.Strides.Select(w => (IReadOnlyList<long>)w)];
    }

    // --- Rule-based methods ---

    extension<TMethod>(MethodSettings<TMethod> settings) where TMethod : ConfigurableMethod, ILrpRuleSetting
    {
        /// <summary>The LRP rules set for layers by path (they take precedence over <c>TypeRules</c>); empty unless set.</summary>
        public IReadOnlyDictionary<string, LrpRule> LayerRules => settings.Values.LayerRules;

        /// <summary>The LRP rules set for every layer of a module type (they take precedence over the defaults); empty unless set.</summary>
        public IReadOnlyDictionary<Type, LrpRule> TypeRules => settings.Values.TypeRules;
    }

    extension(MethodSettings<GuidedGradCam> settings)
    {
        /// <summary>How the Grad-CAM map is upsampled to the inputs' size (<see cref="InterpolationMode.Nearest"/> unless set).</summary>
        public InterpolationMode Interpolation => settings.Values.Interpolation;

        /// <summary>Whether the Grad-CAM map is computed on the layer's input rather than its output.</summary>
        public bool AtLayerInput => settings.Values.AtLayerInput;
    }

    // Layer and neuron methods' own settings.

    extension(MethodSettings<LayerGradCam> settings)
    {
        /// <summary>Whether a ReLU is applied to the map (Captum's <c>relu_attributions</c>).</summary>
        public bool Relu => settings.Values.Relu;

        /// <summary>Whether one map per channel is returned instead of their sum (Captum's <c>attr_dim_summation=False</c>).</summary>
        public bool KeepChannels => settings.Values.KeepChannels;
    }

    // Method-specific settings of Saliency, Lime, NoiseTunnel and the metrics.

    extension(MethodSettings<AttnLrp> settings)
    {
        /// <summary>Whether the attention probabilities are constants (CP-LRP) rather than propagated through (AttnLRP).</summary>
        public bool DetachAttention => settings.Values.DetachAttention;
    }

    extension(MethodSettings<Saliency> settings)
    {
        /// <summary>Whether the absolute value of the gradient is returned.</summary>
        public bool Absolute => settings.Values.Absolute;
    }

    extension(MethodSettings<Lime> settings)
    {
        /// <summary>The surrogate fitted to the samples.</summary>
        public SurrogateModel Surrogate => settings.Values.Surrogate;

        /// <summary>Width of the exponential similarity kernel.</summary>
        public double KernelWidth => settings.Values.KernelWidth;

        /// <summary>Distance used by the similarity kernel.</summary>
        public LimeDistance Distance => settings.Values.Distance;
    }

    extension(MethodSettings<Rise> settings)
    {
        /// <summary>Cells per spatial dimension of the low-resolution masks.</summary>
        public int GridSize => settings.Values.GridSize;

        /// <summary>Probability that a mask cell is kept.</summary>
        public double KeepProbability => settings.Values.KeepProbability;
    }

    extension(MethodSettings<NoiseTunnel> settings)
    {
        /// <summary>Whether tensor baselines of the wrapped method are a distribution each noisy copy draws one row from.</summary>
        public bool DrawBaselineFromDistribution => settings.Values.DrawBaselineFromDistribution;
    }

    extension(MethodSettings<Infidelity> settings)
    {
        /// <summary>Whether attributions are first scaled by the β minimizing the infidelity.</summary>
        public bool Normalize => settings.Values.Normalize;
    }

    extension(MethodSettings<SensitivityMax> settings)
    {
        /// <summary>Half-width of the built-in uniform noise (not used while a perturbation function is set).</summary>
        public double Radius => settings.Values.Radius;

        /// <summary>The single-input perturbation function, or null.</summary>
        public Func<Tensor, Tensor>? Perturbation => settings.Values.SensitivityPerturbation;

        /// <summary>The multi-input perturbation function, or null.</summary>
        public Func<IReadOnlyList<Tensor>, Tensor[]>? MultiInputPerturbation => settings.Values.SensitivityMultiInputPerturbation;
    }

    extension<TMethod>(MethodSettings<TMethod> settings) where TMethod : ConfigurableMethod, IAttentionSetting
    {
        /// <summary>The attention layers set, or empty for every Softmax module of the model.</summary>
        public IReadOnlyList<Layer> AttentionLayers => settings.Values.AttentionLayers;

        /// <summary>Which output tokens the relevance is read for.</summary>
        public AttentionReadout Readout => settings.Values.Readout;
    }

    extension<TMethod>(MethodSettings<TMethod> settings) where TMethod : ConfigurableMethod, IHeadFusionSetting
    {
        /// <summary>How the heads of a layer are fused.</summary>
        public AttentionHeadFusion HeadFusion => settings.Values.HeadFusion;
    }
}
