using System.Globalization;
using FluentAttrib.Text;
using ScottPlot;
using static TorchSharp.torch;

namespace StoryAttribution;

/// <summary>Captum's <c>plot_token_attr</c> drawn with ScottPlot: target tokens as rows, prompt features as columns,
/// a diverging colour scale symmetric around 0, each cell labelled with its value.</summary>
internal static class HeatMap
{
    public static byte[] Png(TextAttribution result, string title)
    {
        var rows = result.TokenAttribution ?? result.SequenceAttribution.unsqueeze(0);
        var labels = result.TokenAttribution is null ? ["(sequence)"] : result.OutputTokens;
        int r = (int)rows.shape[0], c = (int)rows.shape[1];
        var values = rows.to(ScalarType.Float64).cpu().data<double>().ToArray();
        var grid = new double[r, c];
        for (int i = 0; i < r; i++)
            for (int j = 0; j < c; j++) grid[i, j] = values[i * c + j];
        double max = Math.Max(1e-12, values.Max(Math.Abs));

        Fonts.Default = "DejaVu Sans";
        using var plot = new Plot();
        var heatmap = plot.Add.Heatmap(grid);
        heatmap.Colormap = new ScottPlot.Colormaps.Balance();
        heatmap.ManualRange = new ScottPlot.Range(-max, max);
        heatmap.CellAlignment = Alignment.MiddleCenter; // cell (i, j) centred on (j, r - 1 - i): row 0 is drawn at the top
        plot.Add.ColorBar(heatmap).Label = "attribution";
        for (int i = 0; i < r; i++)
            for (int j = 0; j < c; j++)
            {
                var text = plot.Add.Text(grid[i, j].ToString("F2", CultureInfo.InvariantCulture), j, r - 1 - i);
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontSize = 9;
                text.LabelFontColor = Math.Abs(grid[i, j]) > 0.6 * max ? Colors.White : Colors.Black;
            }
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, c).Select(j => (double)j).ToArray(), result.InputTokens.ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = -45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        plot.Axes.Left.SetTicks(Enumerable.Range(0, r).Select(i => (double)(r - 1 - i)).ToArray(), labels.ToArray());
        plot.Axes.SetLimits(-0.5, c - 0.5, -0.5, r - 0.5);
        plot.Title(title);
        plot.Axes.Bottom.Label.Text = "";
        plot.YLabel("generated word");
        return plot.GetImageBytes(Math.Max(720, 48 * c + 220), Math.Max(360, 30 * r + 220), ImageFormat.Png);
    }
}
