using ScottPlot;

namespace FluentAttrib.Plotting;

public static partial class PlottableAdderExtensions
{
    /// <summary>Adds token attributions as colored text, laid out in pixels inside the data area (hide the axes around it).</summary>
    public static TokenAttributions TokenAttributions(this PlottableAdder add, params TextRecord[] records)
    {
        ArgumentNullException.ThrowIfNull(add);
        var plottable = new TokenAttributions(TextFigure.Of(records), FigureFont.Resolve(null));
        add.Plottable(plottable);
        return plottable;
    }
}
