using static TorchSharp.torch;

namespace FluentAttrib.Plotting;

public static partial class AttributionPlotExtensions
{
    /// <summary>
    /// Token attributions as colored text (HTML, PNG or SVG), like Captum's <c>visualize_text</c>. The attribution
    /// (shape (T), (1, T), (T, E) or (1, T, E)) is summed over embedding dimensions, then scaled as
    /// <paramref name="scaling"/> says (by default divided by its L2 norm, as Captum's tutorials do). The attribution
    /// score is the sum over tokens; the attribution label is the explained target.
    /// </summary>
    public static TextFigure PlotTokens(this Attribution attribution, IReadOnlyList<string> tokens, TextScaling scaling = TextScaling.L2Norm)
    {
        ArgumentNullException.ThrowIfNull(attribution);
        var figure = attribution.Value.PlotTokens(tokens, scaling);
        return attribution.Target.IsNone ? figure : figure.WithLabels(attributionLabel: attribution.Target.ToString());
    }

    /// <summary>Token attributions of a tensor as colored text (see <see cref="PlotTokens(Attribution, IReadOnlyList{string}, TextScaling)"/>).</summary>
    public static TextFigure PlotTokens(this Tensor attribution, IReadOnlyList<string> tokens, TextScaling scaling = TextScaling.L2Norm)
    {
        ArgumentNullException.ThrowIfNull(attribution);
        ArgumentNullException.ThrowIfNull(tokens);
        return TextFigure.Of(TextRecord.FromTensor(attribution, tokens, scaling));
    }
}
