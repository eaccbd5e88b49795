using FluentAttrib.Core;

namespace FluentAttrib;

/// <summary>
/// Every default value of the library, defined once. A method's <c>Default</c> instance uses these values; the
/// settings reference (docs/methods.md) lists them per method.
/// </summary>
public static partial class Defaults
{
    /// <summary>Integration steps of the path methods (Captum's <c>n_steps</c>). <value>50.</value></summary>
    public const int Steps = 50;

    /// <summary>Integration rule of the path methods (Captum's <c>method</c>). <value>Gauss–Legendre.</value></summary>
    public const Quadrature Quadrature = FluentAttrib.Quadrature.GaussLegendre;

    /// <summary>Samples per example of GradientShap and its layer and neuron forms (<c>n_samples</c>). <value>5.</value></summary>
    public const int GradientShapSamples = 5;

    /// <summary>Noise standard deviation of GradientShap and its layer and neuron forms (<c>stdevs</c>). <value>0.</value></summary>
    public const double GradientShapStdDev = 0.0;

    /// <summary>Noisy copies per example of NoiseTunnel (<c>nt_samples</c>). <value>5.</value></summary>
    public const int NoiseTunnelSamples = 5;

    /// <summary>Noise standard deviation of NoiseTunnel (<c>stdevs</c>). <value>1.</value></summary>
    public const double NoiseTunnelStdDev = 1.0;

    /// <summary>Permutations per example of ShapleyValueSampling (<c>n_samples</c>). <value>25.</value></summary>
    public const int ShapleyValueSamplingSamples = 25;

    /// <summary>Coalitions per example of KernelShap (<c>n_samples</c>). <value>25.</value></summary>
    public const int KernelShapSamples = 25;

    /// <summary>Samples per example of Lime (<c>n_samples</c>). <value>25.</value></summary>
    public const int LimeSamples = 25;

    /// <summary>Most tokens a language model generates as the target when none is given (Captum's <c>max_new_tokens</c> of its default generation arguments). <value>25.</value></summary>
    public const int GeneratedTokens = 25;

    /// <summary>Regularisation of Lime's default surrogate, Lasso (Captum's <c>SkLearnLasso(alpha=0.01)</c>). <value>0.01.</value></summary>
    public const double LimeLassoAlpha = 0.01;

    /// <summary>Width of Lime's exponential similarity kernel (<c>kernel_width</c>). <value>1.</value></summary>
    public const double LimeKernelWidth = 1.0;

    /// <summary>Random masks per example of RISE (the paper uses 4000–8000 for ImageNet models). <value>1000.</value></summary>
    public const int RiseSamples = 1000;

    /// <summary>Cells per spatial dimension of RISE's low-resolution masks (the paper's s). <value>7.</value></summary>
    public const int RiseGridSize = 7;

    /// <summary>Probability that RISE keeps a mask cell (the paper's p). <value>0.5.</value></summary>
    public const double RiseKeepProbability = 0.5;

    /// <summary>Division guard of DeepLift's multipliers (<c>eps</c>). <value>1e-10.</value></summary>
    public const double Eps = 1e-10;

    /// <summary>Perturbations per example of Infidelity (<c>n_perturb_samples</c>). <value>10.</value></summary>
    public const int InfidelitySamples = 10;

    /// <summary>Perturbations per example of SensitivityMax (<c>n_perturb_samples</c>). <value>10.</value></summary>
    public const int SensitivityMaxSamples = 10;

    /// <summary>Radius of SensitivityMax's default uniform perturbation (<c>perturb_radius</c>). <value>0.02.</value></summary>
    public const double SensitivityRadius = 0.02;

    // --- LRP rules ---

    /// <summary>ε of LRP's ε-rule, and the stabiliser of its other rules (Captum's <c>EpsilonRule(epsilon=1e-9)</c>). <value>1e-9.</value></summary>
    public const double LrpEpsilon = 1e-9;

    /// <summary>γ of LRP's γ-rule (Captum's <c>GammaRule(gamma=0.25)</c>). <value>0.25.</value></summary>
    public const double LrpGamma = 0.25;

    // Layer and neuron gradient methods.

    /// <summary>Integration rule of NeuronConductance (Captum's default <c>method</c> for it). <value>The trapezoid rule.</value></summary>
    public const Quadrature NeuronConductanceQuadrature = FluentAttrib.Quadrature.RiemannTrapezoid;

    // Evaluation metrics (Quantus 0.6.0's defaults, and the RISE paper's for insertion).

    /// <summary>Threshold below which a value counts as zero in EffectiveComplexity, MonotonicityCorrelation and NonSensitivity (Quantus's <c>eps</c>). <value>1e-5.</value></summary>
    public const double MetricThreshold = 1e-5;

    /// <summary>Perturbed inputs per example of MaxSensitivity and AvgSensitivity (<c>nr_samples</c>). <value>200.</value></summary>
    public const int SensitivitySamples = 200;

    /// <summary>Half-width of the uniform noise of MaxSensitivity and AvgSensitivity (<c>lower_bound</c>). <value>0.2.</value></summary>
    public const double SensitivityNoiseRadius = 0.2;

    /// <summary>Random subsets per example of FaithfulnessCorrelation (<c>nr_runs</c>). <value>100.</value></summary>
    public const int FaithfulnessCorrelationSamples = 100;

    /// <summary>Elements per random subset of FaithfulnessCorrelation (<c>subset_size</c>). <value>224.</value></summary>
    public const int FaithfulnessCorrelationSubsetSize = 224;

    /// <summary>Patch size of RegionPerturbation and Selectivity (<c>patch_size</c>). <value>8.</value></summary>
    public const int RegionPatchSize = 8;

    /// <summary>Patches replaced by RegionPerturbation (<c>regions_evaluation</c>). <value>100.</value></summary>
    public const int Regions = 100;

    /// <summary>Patch size of PatchInfidelity (<c>perturb_patch_sizes</c>). <value>4.</value></summary>
    public const int PatchInfidelityPatchSize = 4;

    /// <summary>Standard deviation of ROAD's imputation noise (<c>noise</c>). <value>0.01.</value></summary>
    public const double RoadNoise = 0.01;

    /// <summary>Positions checked by TopKIntersection (<c>k</c>). <value>1000.</value></summary>
    public const int TopK = 1000;

    /// <summary>Classes RandomLogit draws the other class from (<c>num_classes</c>). <value>1000.</value></summary>
    public const int RandomLogitClasses = 1000;

    /// <summary>Seed of RandomLogit's class draw and of ModelParameterRandomisation's re-initialisation (<c>seed</c>). <value>42.</value></summary>
    public const long RandomisationSeed = 42;

    /// <summary>Shift of InputInvariance (<c>input_shift</c>). <value>−1.</value></summary>
    public const double InputShift = -1;

    /// <summary>Standard deviation, in elements, of Insertion's default blur substrate (the RISE paper's σ). <value>5.</value></summary>
    public const double InsertionBlurSigma = 5;
}
