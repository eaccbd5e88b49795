using System.Globalization;
using FluentAttrib.Core;
using static TorchSharp.torch;

namespace FluentAttrib;

/// <summary>
/// The interpretable model that <see cref="Lime"/> fits to the model's outputs on perturbed samples: a weighted
/// linear model with an intercept whose coefficients are the attributions. Fits run in float64. Set it with
/// <see cref="Lime.Surrogate(SurrogateModel)"/>, read it back with <c>lime.Settings.Surrogate</c>. Surrogates compare by
/// value: <c>Lasso(0.01) == Lasso(0.01)</c>.
/// </summary>
public abstract record SurrogateModel
{
    private protected SurrogateModel() { }

    /// <summary>
    /// Weighted least squares with an intercept: scikit-learn's <c>LinearRegression().fit(X, y, sample_weight=w)</c>
    /// (Captum's <c>SkLearnLinearRegression</c>, KernelShap's surrogate). The minimum-norm solution is taken, so a
    /// feature that never changes over the samples gets coefficient 0.
    /// </summary>
    public static SurrogateModel LinearRegression { get; } = new LeastSquaresSurrogate();

    /// <summary>
    /// Weighted Lasso with an intercept, min (1 / (2 Σw)) Σ wᵢ (yᵢ − c − xᵢ·β)² + <paramref name="alpha"/> ‖β‖₁:
    /// scikit-learn's <c>Lasso(alpha).fit(X, y, sample_weight=w)</c> with its coordinate-descent solver, stopping rule
    /// (tolerance 1e-4 on the duality gap) and 1000-sweep limit. <c>Lasso(0.01)</c> is Captum's
    /// <c>SkLearnLasso(alpha=0.01)</c>, Lime's default surrogate.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is not positive and finite.</exception>
    public static SurrogateModel Lasso(double alpha)
    {
        if (!(alpha > 0) || double.IsInfinity(alpha))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "The Lasso penalty must be positive and finite (use LinearRegression for none).");
        return new LassoSurrogate(alpha);
    }

    /// <summary>The coefficients (M) in float64 of the fit of <paramref name="y"/> (n) on <paramref name="x"/> (n, M) with weights <paramref name="w"/> (n).</summary>
    internal abstract Tensor Fit(Tensor x, Tensor y, Tensor w);

    private sealed record LeastSquaresSurrogate : SurrogateModel
    {
        internal override Tensor Fit(Tensor x, Tensor y, Tensor w) => WeightedLinearFit.LeastSquares(x, y, w);

        public override string ToString() => "LinearRegression";
    }

    private sealed record LassoSurrogate(double Alpha) : SurrogateModel
    {
        internal override Tensor Fit(Tensor x, Tensor y, Tensor w) => WeightedLinearFit.Lasso(x, y, w, Alpha);

        public override string ToString() => "Lasso(" + Alpha.ToString(CultureInfo.InvariantCulture) + ")";
    }
}
