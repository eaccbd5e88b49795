using System.Collections.Immutable;
using static TorchSharp.torch;

namespace FluentAttrib.Plotting;

/// <summary>
/// Turns attributions into figures: <c>attribution.Plot(ImageView.BlendedHeatMap.Positive).Over(image).SavePng("a.png")</c>.
/// The attribution of the first input is drawn; for another input, plot <c>attribution.Values[i]</c>.
/// </summary>
public static partial class AttributionPlotExtensions
{
    /// <summary>
    /// An image figure with one panel per view, side by side (none given: Captum's default, a heat map of absolute
    /// values). Add the image with <see cref="ImageFigure.Over"/> for views that draw it.
    /// </summary>
    public static ImageFigure Plot(this Attribution attribution, params ImageView[] views)
    {
        ArgumentNullException.ThrowIfNull(attribution);
        return attribution.Value.Plot(views);
    }

    /// <summary>An image figure of an attribution tensor ((C, H, W), (H, W, C), (H, W) or a batch).</summary>
    public static ImageFigure Plot(this Tensor attribution, params ImageView[] views)
    {
        ArgumentNullException.ThrowIfNull(attribution);
        return new ImageFigure(ImageFigure.Specs(attribution, views).ToImmutableArray());
    }
}
