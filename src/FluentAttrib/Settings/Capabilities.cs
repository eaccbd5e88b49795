namespace FluentAttrib;

// One marker interface per setting concept. A method type that implements one has that setting: the setter in
// MethodSettingExtensions and the read-back property in MethodSettingReadBack apply to it, and to no other type.
// The table concept → name lives in docs/naming.md.

/// <summary>The method integrates along a path in a number of steps (<see cref="MethodSettingExtensions.Steps{TMethod}"/>, <see cref="MethodSettingExtensions.Quadrature{TMethod}"/>).</summary>
public interface IPathSetting;

/// <summary>The method compares the input with one reference value per input (<see cref="MethodSettingExtensions.Baseline{TMethod}"/>).</summary>
public interface IBaselineSetting;

/// <summary>The method draws baselines from a distribution (<see cref="MethodSettingExtensions.BaselineDistribution{TMethod}"/>).</summary>
public interface IBaselineDistributionSetting;

/// <summary>The method or metric draws a number of samples per example (<see cref="MethodSettingExtensions.Samples{TMethod}"/>).</summary>
public interface ISamplesSetting;

/// <summary>The method or metric draws random numbers (<see cref="MethodSettingExtensions.Seed{TMethod}"/>).</summary>
public interface ISeedSetting;

/// <summary>The method evaluates perturbed copies in passes (<see cref="MethodSettingExtensions.PerturbationsPerPass{TMethod}"/>).</summary>
public interface IPerturbationsPerPassSetting;

/// <summary>The method or metric evaluates expanded examples in passes (<see cref="MethodSettingExtensions.InternalBatchSize{TMethod}"/>).</summary>
public interface IInternalBatchSizeSetting;

/// <summary>The method adds Gaussian noise (<see cref="MethodSettingExtensions.StdDev{TMethod}"/>, <see cref="MethodSettingExtensions.StdDevs{TMethod}"/>).</summary>
public interface INoiseSetting;

/// <summary>The method can multiply its result by (input − baseline) (<see cref="MethodSettingExtensions.MultiplyByInputs{TMethod}"/>).</summary>
public interface IMultiplyByInputsSetting;

/// <summary>The method can return its convergence delta (<see cref="MethodSettingExtensions.ReturnDelta{TMethod}"/>).</summary>
public interface IDeltaSetting;

/// <summary>The method groups elements into features (<see cref="MethodSettingExtensions.Mask{TMethod}"/>).</summary>
public interface IMaskSetting;

/// <summary>The method can return the surrogate's coefficients instead of input-shaped attributions (<see cref="MethodSettingExtensions.ReturnInputShape{TMethod}"/>).</summary>
public interface IReturnInputShapeSetting;

/// <summary>
/// The method propagates DeepLift's multipliers (<see cref="MethodSettingExtensions.Eps{TMethod}"/>,
/// <see cref="MethodSettingExtensions.CustomAttribution{TMethod}"/>, <see cref="MethodSettingExtensions.CaptumQuirks{TMethod}"/>,
/// <see cref="MethodSettingExtensions.TreatUnsupportedAsLinear{TMethod}"/>).
/// </summary>
public interface IDeepLiftSetting;

/// <summary>The method can evaluate perturbed copies incrementally (<see cref="MethodSettingExtensions.Incremental{TMethod}"/>).</summary>
public interface IIncrementalSetting;

// --- Rule-based methods (LRP) ---

/// <summary>
/// The method propagates relevance with per-layer LRP rules (<see cref="MethodSettingExtensions.Rule{TMethod}(TMethod, Layer, LrpRule)"/>,
/// and <c>Rule&lt;TModule&gt;(LrpRule)</c> on each method); read back as <c>Settings.LayerRules</c> and <c>Settings.TypeRules</c>.
/// </summary>
public interface ILrpRuleSetting;

// --- Attention-aware methods ---

/// <summary>
/// The method reads a transformer's attention probabilities (<see cref="MethodSettingExtensions.AttentionLayers{TMethod}"/>,
/// <see cref="MethodSettingExtensions.Readout{TMethod}"/>).
/// </summary>
public interface IAttentionSetting;

/// <summary>The method fuses the heads of each attention layer into one map (<see cref="MethodSettingExtensions.HeadFusion{TMethod}"/>).</summary>
public interface IHeadFusionSetting;
