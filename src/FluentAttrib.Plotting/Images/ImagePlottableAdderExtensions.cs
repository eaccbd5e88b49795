using ScottPlot;
using static TorchSharp.torch;

namespace FluentAttrib.Plotting;

/// <summary>
/// Adds attribution views to any ScottPlot plot, beside the user's own plottables:
/// <c>plot.Add.Attribution(attribution, ImageView.HeatMap.All)</c>.
/// </summary>
public static partial class PlottableAdderExtensions
{
    /// <summary>Adds one image view of the first input's attribution (example 0 of a batch unless <paramref name="example"/> says otherwise).</summary>
    public static AttributionImage Attribution(this PlottableAdder add, Attribution attribution, ImageView view,
        InputImage? image = null, int? example = null, AttributionScale? scale = null)
    {
        ArgumentNullException.ThrowIfNull(attribution);
        return add.Attribution(attribution.Value, view, image, example, scale);
    }

    /// <summary>Adds one image view of an attribution tensor, covering (0, width) × (0, height) with row 0 at the top.</summary>
    /// <exception cref="MissingInputException">The view draws the image but none was given.</exception>
    /// <exception cref="AttributionShapeException">Shapes do not fit (see the message).</exception>
    /// <exception cref="NonFiniteValuesException">NaN or infinite values.</exception>
    public static AttributionImage Attribution(this PlottableAdder add, Tensor attribution, ImageView view,
        InputImage? image = null, int? example = null, AttributionScale? scale = null)
    {
        ArgumentNullException.ThrowIfNull(add);
        ArgumentNullException.ThrowIfNull(attribution);
        ArgumentNullException.ThrowIfNull(view);
        var panel = ImagePanels.Build([new ImagePanels.Spec(attribution, view)], image, example, ImageLayout.Auto,
            scale ?? AttributionScale.PerPanel)[0];
        add.Plottable(panel);
        return panel;
    }
}
