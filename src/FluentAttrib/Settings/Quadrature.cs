namespace FluentAttrib;

/// <summary>Numerical integration rules for path methods (Integrated Gradients and its relatives).</summary>
public enum Quadrature
{
    /// <summary>Gauss–Legendre nodes and weights (Captum's default, "gausslegendre").</summary>
    GaussLegendre,
    /// <summary>Left Riemann sum ("riemann_left").</summary>
    RiemannLeft,
    /// <summary>Right Riemann sum ("riemann_right").</summary>
    RiemannRight,
    /// <summary>Midpoint Riemann sum ("riemann_middle").</summary>
    RiemannMiddle,
    /// <summary>Trapezoid rule ("riemann_trapezoid").</summary>
    RiemannTrapezoid,
}
