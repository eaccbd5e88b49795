using System.Collections.Immutable;
using ScottPlot;
using static TorchSharp.torch;

namespace FluentAttrib.Plotting;

/// <summary>
/// Time-series attributions (Captum's <c>visualize_timeseries_attr</c>): start with
/// <c>attribution.Plot(TimeSeriesView.OverlayIndividual)</c>, give the series with <see cref="Over"/>, optionally the
/// x values with <see cref="At"/> and channel names with <see cref="WithChannelLabels"/>. Immutable.
/// </summary>
public sealed record TimeSeriesFigure : AttributionFigure<TimeSeriesFigure>
{
    internal TimeSeriesFigure(Tensor attribution, TimeSeriesView view)
    {
        AttributionTensor = attribution;
        View = view;
    }

    private Tensor AttributionTensor { get; init; }

    /// <summary>The view.</summary>
    public TimeSeriesView View { get; private init; }

    /// <summary>The series the attributions explain, same shape as the attribution; null until <see cref="Over"/>.</summary>
    public Tensor? Data { get; private init; }

    /// <summary>The x value of each time step, or null for 0, 1, 2, ....</summary>
    public IReadOnlyList<double>? X { get; private init; }

    /// <summary>A name per channel (y-axis labels, or legend entries for a combined overlay), or null.</summary>
    public IReadOnlyList<string>? ChannelLabels { get; private init; }

    /// <summary>Where the channels are. <value>The default value is <see cref="SeriesLayout.Auto"/>.</value></summary>
    public SeriesLayout Layout { get; private init; } = SeriesLayout.Auto;

    /// <summary>The example drawn from batched tensors, or null (a batch must then hold one).</summary>
    public int? Example { get; private init; }

    /// <summary>
    /// How attributions map to colors: Captum normalizes all channels together (<see cref="AttributionScale.PerPanel"/>
    /// and <see cref="AttributionScale.Shared"/> are the same here); raw and fixed scales are available too.
    /// <value>The default value is <see cref="AttributionScale.PerPanel"/>.</value>
    /// </summary>
    public AttributionScale Scale { get; private init; } = AttributionScale.PerPanel;

    /// <summary>The series the attributions belong to: (N, C), (C, N), (N), or a batch of them.</summary>
    public TimeSeriesFigure Over(Tensor data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return this with { Data = data };
    }

    /// <summary>The x value of each time step: strictly increasing, finite, possibly unevenly spaced.</summary>
    public TimeSeriesFigure At(IReadOnlyList<double> x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Count == 0) throw new AttributionShapeException("The x values are empty.");
        for (int i = 0; i < x.Count; i++)
        {
            if (!double.IsFinite(x[i])) throw new NonFiniteValuesException($"The x value at index {i} is {x[i]}; x values must be finite.");
            if (i > 0 && !(x[i] > x[i - 1]))
                throw new ArgumentException($"The x values must increase strictly; x[{i - 1}] = {x[i - 1]} and x[{i}] = {x[i]}.", nameof(x));
        }
        return this with { X = x.ToImmutableArray() };
    }

    /// <summary>Names the channels.</summary>
    public TimeSeriesFigure WithChannelLabels(params string[] labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return this with { ChannelLabels = labels.ToImmutableArray() };
    }

    /// <summary>Says where the channels are.</summary>
    public TimeSeriesFigure WithLayout(SeriesLayout layout)
    {
        if (!Enum.IsDefined(layout)) throw new ArgumentOutOfRangeException(nameof(layout), layout, "Unknown series layout.");
        return this with { Layout = layout };
    }

    /// <summary>The tensors are (C, N): channels first.</summary>
    public TimeSeriesFigure ChannelsFirst() => WithLayout(SeriesLayout.ChannelsFirst);

    /// <summary>The tensors are (N, C): channels last.</summary>
    public TimeSeriesFigure ChannelsLast() => WithLayout(SeriesLayout.ChannelsLast);

    /// <summary>Draws example <paramref name="index"/> of batched tensors.</summary>
    public TimeSeriesFigure ForExample(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return this with { Example = index };
    }

    /// <summary>Chooses how attributions map to colors.</summary>
    public TimeSeriesFigure WithScale(AttributionScale scale)
    {
        ArgumentNullException.ThrowIfNull(scale);
        return this with { Scale = scale };
    }

    /// <summary>The figure as a laid-out ScottPlot <see cref="Multiplot"/>, one plot per panel.</summary>
    public Multiplot ToMultiplot() => ((MultiplotFigure)Prepare()).Multiplot;

    /// <summary>Reads, checks and normalizes; one plottable per panel.</summary>
    internal TimeSeriesAttribution[] BuildSeries()
    {
        if (Data is null)
            throw new MissingInputException($"The {View} view draws the series the attributions belong to: give it with Over(data).");
        var data = TensorData.Read(Data, "the series").SelectExample(Example, 3, "the series", strict: false);
        var attr = TensorData.Read(AttributionTensor, "the attribution").SelectExample(Example, 3, "the attribution");
        bool channelsFirst = ChannelsFirstFor(data);
        var series = ToChannelsFirst(data, channelsFirst, "the series");
        var values = ToChannelsFirst(attr, channelsFirst, "the attribution");
        int channels = series.Length, n = series[0].Length;
        if (values.Length != channels || values[0].Length != n)
            throw new AttributionShapeException(
                $"The attribution (shape {attr.ShapeText}) does not match the series (shape {data.ShapeText}): " +
                $"read as {values.Length} channel(s) × {values[0].Length} steps against {channels} × {n}.");
        double[] x = X is null ? Enumerable.Range(0, n).Select(i => (double)i).ToArray() : X.ToArray();
        if (x.Length != n)
            throw new AttributionShapeException($"There are {x.Length} x values for a series of {n} steps.");
        if (ChannelLabels is not null && ChannelLabels.Count != channels)
            throw new ArgumentException($"There are {ChannelLabels.Count} channel labels for {channels} channel(s).", nameof(ChannelLabels));

        bool combined = View.Method == TimeSeriesMethod.OverlayCombined;
        double[] flat = combined
            ? Enumerable.Range(0, n).Select(t => values.Sum(c => c[t])).ToArray()
            : values.SelectMany(c => c).ToArray();
        var normalized = Scale.Kind switch
        {
            AttributionScaleKind.PerPanel or AttributionScaleKind.Shared => AttributionNormalization.Normalize(flat, View.Sign, View.OutlierPercent),
            _ => AttributionNormalization.NormalizeWith(flat, View.Sign, Scale.Value),
        };
        var notes = Notes.For(normalized, Scale).ToArray();
        var range = CaptumColormaps.RangeFor(View.Sign);
        var colorRange = ImagePanels.ColorRange(range, normalized, Scale);
        string?[] labels = ChannelLabels?.ToArray<string?>() ?? new string?[channels];

        if (combined)
        {
            var colors = Enumerable.Range(0, channels).Select(c => CaptumColormaps.Dark2[c % CaptumColormaps.Dark2.Count]).ToArray();
            return [new TimeSeriesAttribution(View, x, series, colors, labels, normalized.Values, range, colorRange, notes)];
        }
        var result = new TimeSeriesAttribution[channels];
        for (int c = 0; c < channels; c++)
        {
            var row = normalized.Values.AsSpan(c * n, n).ToArray();
            result[c] = new TimeSeriesAttribution(View, x, [series[c]], [CaptumColormaps.DefaultLine], [labels[c]], row, range, colorRange,
                c == channels - 1 ? notes : []);
        }
        return result;
    }

    private bool ChannelsFirstFor(TensorData data)
    {
        if (data.Rank != 2) return true;
        return Layout switch
        {
            SeriesLayout.ChannelsFirst => true,
            SeriesLayout.ChannelsLast => false,
            _ => data.Shape[0] < data.Shape[1],
        };
    }

    private static double[][] ToChannelsFirst(TensorData data, bool channelsFirst, string what)
    {
        if (data.Rank == 1) return [data.Values];
        if (data.Rank != 2)
            throw new AttributionShapeException(
                $"{TensorData.Capital(what)} has shape {data.ShapeText}; expected (N), (N, C), (C, N) or a batch of them.");
        int a = checked((int)data.Shape[0]), b = checked((int)data.Shape[1]);
        int channels = channelsFirst ? a : b, n = channelsFirst ? b : a;
        var result = new double[channels][];
        for (int c = 0; c < channels; c++)
        {
            result[c] = new double[n];
            for (int t = 0; t < n; t++) result[c][t] = channelsFirst ? data.Values[c * n + t] : data.Values[t * channels + c];
        }
        return result;
    }

    internal override PreparedFigure Prepare()
    {
        var panels = BuildSeries();
        int width = Width ?? 600, height = Height ?? 600;
        string font = ResolvedFont;
        var multiplot = new Multiplot { Layout = new ScottPlot.MultiplotLayouts.Rows() };
        var plots = new Plot[panels.Length];
        for (int i = 0; i < panels.Length; i++)
        {
            var plot = new Plot();
            var panel = panels[i];
            plot.Add.Plottable(panel);
            var limits = panel.GetAxisLimits();
            double pad = (limits.Top - limits.Bottom) * 0.05;
            plot.Axes.SetLimits(limits.Left, limits.Right, limits.Bottom - pad, limits.Top + pad);
            plot.HideGrid();
            bool last = i == panels.Length - 1;
            if (!last)
            {
                plot.Axes.Bottom.TickLabelStyle.IsVisible = false;
                plot.Axes.Bottom.MinimumSize = 0;
                plot.Axes.Bottom.MaximumSize = 0;
            }
            if (View.Method != TimeSeriesMethod.OverlayCombined && ChannelLabels is not null) plot.YLabel(ChannelLabels[i], 13);
            if (i == 0) PlotStyling.Title(plot, Title, font);
            if (View.Method == TimeSeriesMethod.OverlayCombined && ChannelLabels is not null)
            {
                var legend = plot.ShowLegend(Alignment.UpperRight);
                legend.FontName = font;
            }
            if (last && View.ShowsColorbar) plot.Add.ColorBar(panel, Edge.Bottom);
            PlotStyling.Font(plot, font);
            if (last) PlotStyling.Caption(plot, panel.Notes, width, font);
            plots[i] = plot;
            if (i == 0) multiplot.Reset(plot);
            else multiplot.AddPlot(plot);
        }
        var figure = new MultiplotFigure
        {
            Width = width,
            Height = height,
            Font = font,
            Multiplot = multiplot,
            Notes = panels.SelectMany(p => p.Notes).Distinct().ToArray(),
        };
        if (plots.Length > 1) AlignRows(figure, plots);
        return figure;
    }

    /// <summary>Stacks the panels without gaps (matplotlib's <c>hspace=0</c>) and gives them equal data heights and left edges.</summary>
    private static void AlignRows(MultiplotFigure figure, Plot[] plots)
    {
        figure.LayoutPass();
        var area = figure.PlotArea;
        float left = plots.Max(p => p.LastRender.DataRect.Left - p.LastRender.FigureRect.Left);
        float right = plots.Max(p => p.LastRender.FigureRect.Right - p.LastRender.DataRect.Right);
        float top = plots[0].LastRender.DataRect.Top - plots[0].LastRender.FigureRect.Top;
        var lastRender = plots[^1].LastRender;
        float bottom = lastRender.FigureRect.Bottom - lastRender.DataRect.Bottom;
        figure.Multiplot.Layout = new StackedRows(area, top, bottom, plots.Length);
        for (int i = 0; i < plots.Length; i++)
        {
            float padTop = i == 0 ? top : 0;
            float padBottom = i == plots.Length - 1 ? bottom : 0;
            plots[i].Layout.Fixed(new PixelPadding(left, right, padBottom, padTop));
        }
    }

    /// <summary>Rows whose data areas have equal heights: the first row also holds the title, the last the x axis.</summary>
    private sealed class StackedRows(PixelRect area, float top, float bottom, int count) : IMultiplotLayout
    {
        public PixelRect[] GetSubplotRectangles(SubplotCollection subplots, PixelRect figureRect)
        {
            float each = (area.Height - top - bottom) / count;
            var rects = new PixelRect[count];
            float y = figureRect.Top;
            for (int i = 0; i < count; i++)
            {
                float h = each + (i == 0 ? top : 0) + (i == count - 1 ? bottom : 0);
                rects[i] = new PixelRect(figureRect.Left, figureRect.Right, y + h, y);
                y += h;
            }
            return rects;
        }
    }
}
