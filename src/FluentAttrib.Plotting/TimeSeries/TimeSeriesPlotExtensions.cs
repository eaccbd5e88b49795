using static TorchSharp.torch;

namespace FluentAttrib.Plotting;

public static partial class AttributionPlotExtensions
{
    /// <summary>A time-series figure; give the series with <see cref="TimeSeriesFigure.Over"/>.</summary>
    public static TimeSeriesFigure Plot(this Attribution attribution, TimeSeriesView view)
    {
        ArgumentNullException.ThrowIfNull(attribution);
        return attribution.Value.Plot(view);
    }

    /// <summary>A time-series figure of an attribution tensor ((N, C), (C, N), (N) or a batch).</summary>
    public static TimeSeriesFigure Plot(this Tensor attribution, TimeSeriesView view)
    {
        ArgumentNullException.ThrowIfNull(attribution);
        ArgumentNullException.ThrowIfNull(view);
        return new TimeSeriesFigure(attribution, view);
    }
}
