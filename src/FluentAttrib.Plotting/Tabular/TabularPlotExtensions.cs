using static TorchSharp.torch;

namespace FluentAttrib.Plotting;

public static partial class AttributionPlotExtensions
{
    /// <summary>A SHAP-style tabular figure (beeswarm, waterfall, bar, dependence) of a (rows, features) attribution.</summary>
    public static TabularFigure Plot(this Attribution attribution, TabularView view)
    {
        ArgumentNullException.ThrowIfNull(attribution);
        return attribution.Value.Plot(view);
    }

    /// <summary>A SHAP-style tabular figure of an attribution tensor: (rows, features), or (features) for one row.</summary>
    public static TabularFigure Plot(this Tensor attribution, TabularView view)
    {
        ArgumentNullException.ThrowIfNull(attribution);
        ArgumentNullException.ThrowIfNull(view);
        return new TabularFigure(attribution, view);
    }
}
