namespace FluentAttrib;

// Marker interfaces of the evaluation metrics' shared settings (see Capabilities.cs for the pattern and
// docs/naming.md for the table).

/// <summary>
/// The metric scales attributions before using them (<see cref="MethodSettingExtensions.Normalization{TMethod}"/>,
/// <see cref="MethodSettingExtensions.Absolute{TMethod}"/>): first normalization, then the absolute value.
/// </summary>
public interface IAttributionPreprocessingSetting;

/// <summary>The metric can apply a softmax to the model's output (<see cref="MethodSettingExtensions.Softmax{TMethod}"/>).</summary>
public interface ISoftmaxSetting;

/// <summary>The metric replaces removed features by a substrate (<see cref="MethodSettingExtensions.Substrate{TMethod}"/>).</summary>
public interface ISubstrateSetting;

/// <summary>The metric removes features in groups (<see cref="MethodSettingExtensions.FeaturesPerStep{TMethod}"/>).</summary>
public interface IFeaturesPerStepSetting;

/// <summary>The metric removes square patches (<see cref="MethodSettingExtensions.PatchSize{TMethod}"/>).</summary>
public interface IPatchSizeSetting;

/// <summary>The metric treats values below a threshold as zero (<see cref="MethodSettingExtensions.Threshold{TMethod}"/>).</summary>
public interface IThresholdSetting;

/// <summary>The metric compares two vectors with a similarity function (<see cref="MethodSettingExtensions.Similarity{TMethod}"/>).</summary>
public interface ISimilaritySetting;

/// <summary>The metric reproduces Quantus's behaviour where it departs from the paper (<see cref="MethodSettingExtensions.QuantusQuirks{TMethod}"/>).</summary>
public interface IQuantusQuirksSetting;

/// <summary>The metric perturbs inputs with uniform noise of a radius (<see cref="MethodSettingExtensions.Radius{TMethod}"/>).</summary>
public interface IRadiusSetting;

/// <summary>The metric removes features in attribution order, most or least relevant first (<see cref="MethodSettingExtensions.Order{TMethod}"/>).</summary>
public interface IOrderSetting;

/// <summary>The metric can return the area under its curve instead of the curve (<see cref="MethodSettingExtensions.ReturnAuc{TMethod}"/>).</summary>
public interface IReturnAucSetting;
