using ScottPlot;
using SkiaSharp;

namespace FluentAttrib.Plotting;

/// <summary>A prepared figure made of ScottPlot plots in a <see cref="Multiplot"/>, with an optional title above them.</summary>
internal sealed class MultiplotFigure : PreparedFigure
{
    public const float TitleSize = 17;

    public required Multiplot Multiplot { get; init; }

    public string? Title { get; init; }

    public required string Font { get; init; }

    public IReadOnlyList<IDisposable> Owned { get; init; } = [];

    /// <summary>The rectangle the plots get, in their own coordinates: the figure below its title, moved to the origin.</summary>
    public PixelRect PlotArea => new(0, Width, Height - TitleHeight, 0);

    public float TitleHeight => Title is null ? 0 : TitleSize * 2;

    public override void Draw(SKCanvas canvas)
    {
        // The multiplot lays its plots out from the origin and clears what it may: give it the area below the title.
        RenderPlots(canvas);
        if (Title is not null)
        {
            using (var white = new SKPaint { Color = SKColors.White, Style = SKPaintStyle.Fill })
                canvas.DrawRect(0, 0, Width, TitleHeight, white);
            using var font = new SKFont(FigureFont.Typeface(Font, bold: true), TitleSize) { Subpixel = true };
            using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            canvas.DrawText(Title, Width / 2f, TitleSize * 1.4f, SKTextAlign.Center, font, paint);
        }
    }

    public override void Dispose()
    {
        foreach (var d in Owned) d.Dispose();
        foreach (var p in Multiplot.GetPlots()) p.Dispose();
    }

    /// <summary>Lays the plots out once on a canvas that draws nothing, so their data areas are known.</summary>
    public void LayoutPass()
    {
        using var canvas = new SKNoDrawCanvas(Width, Height);
        RenderPlots(canvas);
    }

    private void RenderPlots(SKCanvas canvas)
    {
        canvas.Save();
        canvas.Translate(0, TitleHeight);
        canvas.ClipRect(SKRect.Create(0, 0, Width, Height - TitleHeight));
        Multiplot.Render(canvas, PlotArea);
        canvas.Restore();
    }
}

internal static class PlotStyling
{
    /// <summary>A frame around the data area and nothing else: no ticks, tick labels, axis labels or grid (Captum's image axes).</summary>
    public static void FrameOnly(Plot plot)
    {
        foreach (var axis in plot.Axes.GetAxes())
        {
            axis.TickLabelStyle.IsVisible = false;
            axis.MajorTickStyle.Length = 0;
            axis.MinorTickStyle.Length = 0;
            axis.Label.IsVisible = false;
            // Room on the sides for half a colorbar tick label.
            float size = axis.Edge is Edge.Left or Edge.Right ? 12 : 6;
            axis.MinimumSize = size;
            axis.MaximumSize = size;
            axis.FrameLineStyle.Width = 1;
            axis.FrameLineStyle.Color = Colors.Black;
        }
        plot.HideGrid();
    }

    public static void Title(Plot plot, string? title, string font)
    {
        if (title is null) return;
        plot.Title(title, 14);
        plot.Axes.Title.Label.FontName = font;
        plot.Axes.Title.Label.Bold = false;
    }

    /// <summary>
    /// Sets the font of every label of <paramref name="plot"/>: title, axis labels, tick labels, colorbars, legend.
    /// (ScottPlot's <c>plot.Font.Set</c> also changes a process-wide default, which would restyle the user's other plots.)
    /// </summary>
    public static void Font(Plot plot, string font)
    {
        plot.Axes.Title.Label.FontName = font;
        foreach (var axis in plot.Axes.GetAxes())
        {
            axis.Label.FontName = font;
            axis.Label.Bold = false; // matplotlib's (Captum's) axis labels are regular, ScottPlot's default is bold
            axis.TickLabelStyle.FontName = font;
        }
        foreach (var panel in plot.Axes.GetPanels())
            if (panel is ScottPlot.Panels.ColorBar bar)
            {
                bar.Axis.TickLabelStyle.FontName = font;
                bar.Axis.TickLabelStyle.FontSize = 11;
                bar.LabelStyle.FontName = font;
            }
        plot.Legend.FontName = font;
    }

    public static void Caption(Plot plot, IReadOnlyList<string> notes, float width, string font)
    {
        if (notes.Count > 0) plot.Axes.AddPanel(new CaptionPanel(notes, width - 8, font));
    }
}
