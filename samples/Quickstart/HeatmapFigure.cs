using ScottPlot;
using SkiaSharp;
using static TorchSharp.torch;

namespace Quickstart;

/// <summary>Writes a PNG with the photo on the left and an attribution heat map on the right.</summary>
internal static class HeatmapFigure
{
    /// <summary>
    /// Sums <paramref name="attribution"/> (1×C×H×W) over its channels and saves it beside <paramref name="photo"/>.
    /// Signed maps use a diverging colour map centred on zero; non-negative maps a sequential one from zero.
    /// </summary>
    public static void Save(string path, SKBitmap photo, Tensor attribution, string title)
    {
        double[,] map = ChannelSum(attribution);
        double low = map.Cast<double>().Min(), high = map.Cast<double>().Max();

        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();

        Plot left = multiplot.GetPlot(0);
        left.Add.ImageRect(new Image(photo), new CoordinateRect(0, photo.Width, 0, photo.Height));
        Frame(left, $"Input ({photo.Width} × {photo.Height})", photo.Width, photo.Height);

        Plot right = multiplot.GetPlot(1);
        var heatmap = right.Add.Heatmap(map);
        heatmap.Extent = new CoordinateRect(0, map.GetLength(1), 0, map.GetLength(0));
        if (low < 0)
        {
            double limit = Math.Max(-low, high);
            heatmap.Colormap = new ScottPlot.Colormaps.Balance();
            heatmap.ManualRange = new ScottPlot.Range(-limit, limit);
        }
        else
        {
            heatmap.Colormap = new ScottPlot.Colormaps.Inferno();
            heatmap.ManualRange = new ScottPlot.Range(0, high);
        }
        right.Add.ColorBar(heatmap);
        Frame(right, title, map.GetLength(1), map.GetLength(0));

        multiplot.SavePng(path, 1000, 480);
    }

    private static void Frame(Plot plot, string title, int width, int height)
    {
        plot.Title(title);
        plot.HideGrid();
        plot.Axes.SetLimits(0, width, 0, height);
        plot.Axes.SquareUnits();
        // Pixel coordinates mean nothing to a reader: no axes, only the title.
        foreach (var axis in new ScottPlot.IAxis[] { plot.Axes.Left, plot.Axes.Right, plot.Axes.Bottom, plot.Axes.Top })
            axis.IsVisible = false;
    }

    private static double[,] ChannelSum(Tensor attribution)
    {
        using var scope = NewDisposeScope();
        var summed = attribution.detach().sum(dim: 1)[0].to(ScalarType.Float64).cpu();
        int rows = (int)summed.shape[0], cols = (int)summed.shape[1];
        var values = summed.data<double>().ToArray();
        var map = new double[rows, cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                map[r, c] = values[r * cols + c];
        return map;
    }
}
