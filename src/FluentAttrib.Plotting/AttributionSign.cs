namespace FluentAttrib.Plotting;

/// <summary>Which attributions a view shows (Captum's <c>VisualizeSign</c>).</summary>
public enum AttributionSign
{
    /// <summary>Positive and negative attributions, on a red–white–green scale from −1 to 1.</summary>
    All,

    /// <summary>Only positive attributions (negative ones count as zero), in greens.</summary>
    Positive,

    /// <summary>Only negative attributions, by magnitude (positive ones count as zero), in reds.</summary>
    Negative,

    /// <summary>The magnitude of every attribution, in blues. Captum's default.</summary>
    AbsoluteValue,
}
