using ScottPlot;
using static TorchSharp.torch;

namespace FluentAttrib.Plotting;

public static partial class PlottableAdderExtensions
{
    /// <summary>
    /// Adds a time-series view: for <see cref="TimeSeriesMethod.OverlayCombined"/> every channel with the summed
    /// attributions behind them; otherwise channel <paramref name="channel"/> with its own attributions (normalized
    /// over all channels, as Captum does).
    /// </summary>
    /// <exception cref="AttributionShapeException">Shapes do not fit, or the channel does not exist.</exception>
    public static TimeSeriesAttribution TimeSeriesAttribution(this PlottableAdder add, Tensor attribution, Tensor data,
        TimeSeriesView view, int channel = 0, IReadOnlyList<double>? x = null, SeriesLayout layout = SeriesLayout.Auto)
    {
        ArgumentNullException.ThrowIfNull(add);
        var figure = attribution.Plot(view).Over(data).WithLayout(layout);
        if (x is not null) figure = figure.At(x);
        var series = figure.BuildSeries();
        if (view.Method != TimeSeriesMethod.OverlayCombined && (channel < 0 || channel >= series.Length))
            throw new AttributionShapeException($"Channel {channel} does not exist: the series has {series.Length} channel(s).");
        var plottable = view.Method == TimeSeriesMethod.OverlayCombined ? series[0] : series[channel];
        add.Plottable(plottable);
        return plottable;
    }
}
