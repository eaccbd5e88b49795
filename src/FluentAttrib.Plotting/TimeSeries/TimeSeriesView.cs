using ScottPlot;

namespace FluentAttrib.Plotting;

/// <summary>How a time-series attribution is drawn (Captum's <c>TimeseriesVisualizationMethod</c>).</summary>
public enum TimeSeriesMethod
{
    /// <summary>One panel per channel: the channel's line over a heat strip of its attributions.</summary>
    OverlayIndividual,

    /// <summary>One panel: every channel's line over a heat strip of the attributions summed over channels.</summary>
    OverlayCombined,

    /// <summary>One panel per channel: the line itself colored by the attributions.</summary>
    ColoredGraph,
}

/// <summary>Where the channels of a 2-dimensional series are.</summary>
public enum SeriesLayout
{
    /// <summary>The shorter dimension holds the channels; when both are equal, channels last (Captum's default).</summary>
    Auto,

    /// <summary>(C, N): channels first, as TorchSharp's Conv1d takes them.</summary>
    ChannelsFirst,

    /// <summary>(N, C): channels last, Captum's default (<c>channels_last=True</c>).</summary>
    ChannelsLast,
}

/// <summary>
/// A time-series view: a method and a sign, with Captum's defaults. Every sign is allowed for every method.
/// Example: <c>TimeSeriesView.OverlayIndividual.All.WithColorbar()</c>. Immutable.
/// </summary>
public sealed record TimeSeriesView
{
    private TimeSeriesView(TimeSeriesMethod method) => Method = method;

    /// <summary>One panel per channel with its attributions as a heat strip behind the line (Captum's default).</summary>
    public static TimeSeriesView OverlayIndividual { get; } = new(TimeSeriesMethod.OverlayIndividual);

    /// <summary>All channels in one panel with the summed attributions behind them.</summary>
    public static TimeSeriesView OverlayCombined { get; } = new(TimeSeriesMethod.OverlayCombined);

    /// <summary>One panel per channel, the line colored by its attributions.</summary>
    public static TimeSeriesView ColoredGraph { get; } = new(TimeSeriesMethod.ColoredGraph);

    /// <summary>The view of <paramref name="method"/> showing <paramref name="sign"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Unknown method or sign.</exception>
    public static TimeSeriesView Of(TimeSeriesMethod method, AttributionSign sign = AttributionSign.AbsoluteValue)
    {
        if (!Enum.IsDefined(method)) throw new ArgumentOutOfRangeException(nameof(method), method, "Unknown time-series method.");
        return new TimeSeriesView(method).WithSign(sign);
    }

    /// <summary>How the series is drawn.</summary>
    public TimeSeriesMethod Method { get; }

    /// <summary>Which attributions are shown. <value>The default value is <see cref="AttributionSign.AbsoluteValue"/>.</value></summary>
    public AttributionSign Sign { get; private init; } = AttributionSign.AbsoluteValue;

    /// <summary>The colormap, or null for Captum's default for the sign.</summary>
    public IColormap? Colormap { get; private init; }

    /// <summary>Opacity of the heat strips of the overlay methods. <value>The default value is 0.7.</value></summary>
    public double AlphaOverlay { get; private init; } = 0.7;

    /// <summary>Share of the total attribution (percent) treated as outliers. <value>The default value is 2.</value></summary>
    public double OutlierPercent { get; private init; } = AttributionNormalization.DefaultOutlierPercent;

    /// <summary>Whether a colorbar is drawn under the last panel. <value>The default value is false.</value></summary>
    public bool ShowsColorbar { get; private init; }

    /// <summary>This method showing positive and negative attributions.</summary>
    public TimeSeriesView All => WithSign(AttributionSign.All);

    /// <summary>This method showing positive attributions.</summary>
    public TimeSeriesView Positive => WithSign(AttributionSign.Positive);

    /// <summary>This method showing negative attributions by magnitude.</summary>
    public TimeSeriesView Negative => WithSign(AttributionSign.Negative);

    /// <summary>This method showing absolute values.</summary>
    public TimeSeriesView AbsoluteValue => WithSign(AttributionSign.AbsoluteValue);

    /// <summary>The colormap that will be used: <see cref="Colormap"/> or Captum's default for the sign.</summary>
    public IColormap EffectiveColormap => Colormap ?? CaptumColormaps.For(Sign);

    /// <summary>This method showing <paramref name="sign"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Unknown sign.</exception>
    public TimeSeriesView WithSign(AttributionSign sign)
    {
        AttributionNormalization.CheckSign(sign);
        return this with { Sign = sign };
    }

    /// <summary>Uses <paramref name="colormap"/> instead of Captum's default.</summary>
    public TimeSeriesView WithColormap(IColormap colormap)
    {
        ArgumentNullException.ThrowIfNull(colormap);
        return this with { Colormap = colormap };
    }

    /// <summary>Sets the opacity of the heat strips.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside [0, 1].</exception>
    public TimeSeriesView WithAlphaOverlay(double alpha)
    {
        if (!(alpha >= 0 && alpha <= 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "The overlay opacity must be in [0, 1].");
        return this with { AlphaOverlay = alpha };
    }

    /// <summary>Sets the share of the total attribution treated as outliers.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside [0, 100).</exception>
    public TimeSeriesView WithOutlierPercent(double percent)
    {
        AttributionNormalization.CheckOutlierPercent(percent);
        return this with { OutlierPercent = percent };
    }

    /// <summary>Draws a colorbar under the last panel.</summary>
    public TimeSeriesView WithColorbar(bool show = true) => this with { ShowsColorbar = show };

    /// <summary>Captum's names, e.g. <c>overlay_individual/all</c>.</summary>
    public override string ToString() => Method switch
    {
        TimeSeriesMethod.OverlayIndividual => "overlay_individual",
        TimeSeriesMethod.OverlayCombined => "overlay_combined",
        _ => "colored_graph",
    } + "/" + ImageView.Describe(Sign);
}
