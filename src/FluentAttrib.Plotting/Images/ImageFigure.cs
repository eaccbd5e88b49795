using System.Collections.Immutable;
using ScottPlot;
using static TorchSharp.torch;

namespace FluentAttrib.Plotting;

/// <summary>
/// Image attributions in one or more panels side by side (Captum's <c>visualize_image_attr</c> and
/// <c>visualize_image_attr_multiple</c>). Start with <c>attribution.Plot(ImageView.HeatMap.Positive)</c>; add the
/// image with <see cref="Over"/>, more panels with <see cref="Beside(Attribution, ImageView[])"/>, then save.
/// Immutable: every option returns a new figure.
/// </summary>
public sealed record ImageFigure : AttributionFigure<ImageFigure>
{
    internal ImageFigure(ImmutableArray<ImagePanels.Spec> panels) => Panels = panels;

    private ImmutableArray<ImagePanels.Spec> Panels { get; init; }

    /// <summary>The views, one per panel, left to right.</summary>
    public IReadOnlyList<ImageView> Views => Panels.Select(p => p.View).ToArray();

    /// <summary>The image under the views, or null.</summary>
    public InputImage? Image { get; private init; }

    /// <summary>The example drawn when tensors hold a batch, or null (then a batch must hold one example).</summary>
    public int? Example { get; private init; }

    /// <summary>Where the attribution's channels are. <value>The default value is <see cref="ImageLayout.Auto"/>.</value></summary>
    public ImageLayout Layout { get; private init; } = ImageLayout.Auto;

    /// <summary>How attributions map to colors. <value>The default value is <see cref="AttributionScale.PerPanel"/> (Captum's).</value></summary>
    public AttributionScale Scale { get; private init; } = AttributionScale.PerPanel;

    /// <summary>Draws the views over <paramref name="image"/> (a tensor, SkiaSharp bitmap or ScottPlot image).</summary>
    public ImageFigure Over(InputImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return this with { Image = image };
    }

    /// <summary>Adds panels showing another attribution (e.g. another method or target) to the right.</summary>
    public ImageFigure Beside(Attribution attribution, params ImageView[] views)
    {
        ArgumentNullException.ThrowIfNull(attribution);
        return Beside(attribution.Value, views);
    }

    /// <summary>Adds panels showing another attribution tensor to the right.</summary>
    public ImageFigure Beside(Tensor attribution, params ImageView[] views)
    {
        ArgumentNullException.ThrowIfNull(attribution);
        return this with { Panels = Panels.AddRange(Specs(attribution, views)) };
    }

    /// <summary>Draws example <paramref name="index"/> of batched tensors (attribution and image).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative.</exception>
    public ImageFigure ForExample(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return this with { Example = index };
    }

    /// <summary>Says where the attribution's channels are, when its shape is ambiguous.</summary>
    public ImageFigure WithLayout(ImageLayout layout)
    {
        if (!Enum.IsDefined(layout)) throw new ArgumentOutOfRangeException(nameof(layout), layout, "Unknown image layout.");
        return this with { Layout = layout };
    }

    /// <summary>Chooses how attributions map to colors: per panel (Captum), shared across panels, raw or fixed.</summary>
    public ImageFigure WithScale(AttributionScale scale)
    {
        ArgumentNullException.ThrowIfNull(scale);
        return this with { Scale = scale };
    }

    /// <summary>Shows (or hides) a colorbar under every heat-map panel.</summary>
    public ImageFigure WithColorbar(bool show = true) =>
        this with { Panels = Panels.Select(p => p with { View = p.View.WithColorbar(show) }).ToImmutableArray() };

    /// <summary>
    /// The figure as a ScottPlot <see cref="Multiplot"/> of <see cref="AttributionFigure.Width"/> × <see cref="AttributionFigure.Height"/> (laid out for that
    /// size), to style further or embed. Dispose its plots when done.
    /// </summary>
    public Multiplot ToMultiplot()
    {
        var figure = (MultiplotFigure)Prepare();
        return figure.Multiplot;
    }

    internal static IEnumerable<ImagePanels.Spec> Specs(Tensor attribution, ImageView[] views)
    {
        ArgumentNullException.ThrowIfNull(views);
        if (views.Length == 0) views = [ImageView.HeatMap];
        foreach (var v in views)
        {
            if (v is null) throw new ArgumentNullException(nameof(views), "A view is null.");
            yield return new ImagePanels.Spec(attribution, v);
        }
    }

    internal override PreparedFigure Prepare()
    {
        var panels = ImagePanels.Build(Panels, Image, Example, Layout, Scale);
        int n = panels.Length;
        int width = Width ?? (n == 1 ? 600 : 800);
        int height = Height ?? 600;
        string font = ResolvedFont;
        var plots = new Plot[n];
        var figure = new MultiplotFigure
        {
            Width = width,
            Height = height,
            Title = Title,
            Font = font,
            Multiplot = new Multiplot(),
            Notes = panels.SelectMany(p => p.Notes).Distinct().ToArray(),
            Owned = panels,
        };
        figure.Multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        bool anyColorbar = panels.Any(p => p.View.ShowsColorbar && p.View.HasColorScale);
        for (int i = 0; i < n; i++)
        {
            var plot = new Plot();
            var panel = panels[i];
            plot.Add.Plottable(panel);
            plot.Axes.SetLimits(0, panel.ImageWidth, 0, panel.ImageHeight);
            PlotStyling.FrameOnly(plot);
            PlotStyling.Title(plot, panel.View.Title, font);
            if (anyColorbar)
            {
                var bar = plot.Add.ColorBar(panel, Edge.Bottom);
                // Captum keeps an invisible colorbar under panels without one, so the images line up.
                if (!(panel.View.ShowsColorbar && panel.View.HasColorScale)) HideColorBar(bar);
            }
            PlotStyling.Font(plot, font);
            PlotStyling.Caption(plot, panel.Notes, (float)width / n, font);
            plots[i] = plot;
            if (i == 0) figure.Multiplot.Reset(plot);
            else figure.Multiplot.AddPlot(plot);
        }
        figure.LayoutPass();
        FitImages(plots, panels, figure.PlotArea);
        return figure;
    }

    private static void HideColorBar(ScottPlot.Panels.ColorBar bar)
    {
        bar.Axis.TickLabelStyle.ForeColor = Colors.Transparent;
        bar.Axis.MajorTickStyle.Color = Colors.Transparent;
        bar.Axis.MinorTickStyle.Color = Colors.Transparent;
        bar.Axis.FrameLineStyle.Color = Colors.Transparent;
        bar.Source = new BlankColorAxis();
    }

    /// <summary>
    /// After a layout pass, pads each plot so its data area has its image's aspect ratio, all images drawn at the
    /// same scale and top-aligned, like matplotlib's equal-aspect axes.
    /// </summary>
    private static void FitImages(Plot[] plots, AttributionImage[] panels, PixelRect area)
    {
        var data = plots.Select(p => p.LastRender.DataRect).ToArray();
        var frames = plots.Select(p => p.LastRender.FigureRect).ToArray();
        float top = 0, bottom = 0;
        for (int i = 0; i < plots.Length; i++)
        {
            top = Math.Max(top, data[i].Top - frames[i].Top);
            bottom = Math.Max(bottom, frames[i].Bottom - data[i].Bottom);
        }
        float availableHeight = Math.Max(1, area.Height - top - bottom);
        float scale = float.MaxValue;
        for (int i = 0; i < plots.Length; i++)
            scale = Math.Min(scale, Math.Min(Math.Max(1, data[i].Width) / panels[i].ImageWidth, availableHeight / panels[i].ImageHeight));
        for (int i = 0; i < plots.Length; i++)
        {
            float w = panels[i].ImageWidth * scale, h = panels[i].ImageHeight * scale;
            float left = data[i].Left - frames[i].Left + (data[i].Width - w) / 2;
            float padTop = top + (availableHeight - h) / 2;
            plots[i].Layout.Fixed(new PixelPadding(left, frames[i].Width - left - w, frames[i].Height - padTop - h, padTop));
        }
    }

    /// <summary>A white, unlabelled color axis for the invisible colorbars that keep panels aligned.</summary>
    private sealed class BlankColorAxis : IHasColorAxis
    {
        public IColormap Colormap { get; } = new ScottPlot.Colormaps.CustomInterpolated([Colors.White, Colors.White]);

        public ScottPlot.Range GetRange() => new(0, 1);
    }
}
