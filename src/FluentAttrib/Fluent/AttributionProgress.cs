namespace FluentAttrib;

/// <summary>Progress of a long attribution: how many units of work (forward/backward passes) are done.</summary>
/// <param name="Method">The method running.</param>
/// <param name="Completed">Units done so far.</param>
/// <param name="Total">Units in all. A perturbation method whose pass size was planned may raise it once, after its
/// first pass, when the model's largest layer calls for fewer copies in more passes (docs/performance.md, "Passes and
/// native memory"); it does not change after that.</param>
public readonly record struct AttributionProgress(string Method, int Completed, int Total)
{
    /// <summary>Completed as a fraction of total, in [0, 1].</summary>
    public double Fraction => Total == 0 ? 1 : (double)Completed / Total;
}
