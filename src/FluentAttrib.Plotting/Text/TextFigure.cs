using System.Collections.Immutable;
using ScottPlot;
using SkiaSharp;

namespace FluentAttrib.Plotting;

/// <summary>
/// Token attributions as colored text (Captum's <c>visualize_text</c>): HTML with every token and label escaped
/// (Captum's output injects them raw, issue #1226), or the same as PNG/SVG. Start with
/// <c>attribution.PlotTokens(tokens)</c> or <see cref="Of"/>. Immutable.
/// </summary>
public sealed record TextFigure : AttributionFigure<TextFigure>
{
    private TextFigure(ImmutableArray<TextRecord> records) => RecordList = records;

    private ImmutableArray<TextRecord> RecordList { get; init; }

    /// <summary>The rows, in order.</summary>
    public IReadOnlyList<TextRecord> Records => RecordList;

    /// <summary>Whether the Negative / Neutral / Positive legend is shown. <value>The default value is true.</value></summary>
    public bool ShowsLegend { get; private init; } = true;

    /// <summary>A figure of one or more records (rows).</summary>
    /// <exception cref="ArgumentException">No record given.</exception>
    public static TextFigure Of(params TextRecord[] records)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Length == 0) throw new ArgumentException("Give at least one record.", nameof(records));
        if (records.Any(r => r is null)) throw new ArgumentNullException(nameof(records), "A record is null.");
        return new TextFigure(records.ToImmutableArray());
    }

    /// <summary>Sets the labels of the last row; arguments left null keep their current value.</summary>
    public TextFigure WithLabels(string? trueLabel = null, string? predictedLabel = null, double? probability = null,
        string? attributionLabel = null, double? attributionScore = null)
    {
        if (probability is { } p && !(p >= 0 && p <= 1))
            throw new ArgumentOutOfRangeException(nameof(probability), p, "A probability must be in [0, 1].");
        var last = RecordList[^1];
        last = last with
        {
            TrueLabel = trueLabel ?? last.TrueLabel,
            PredictedLabel = predictedLabel ?? last.PredictedLabel,
            PredictedProbability = probability ?? last.PredictedProbability,
            AttributionLabel = attributionLabel ?? last.AttributionLabel,
            AttributionScore = attributionScore ?? last.AttributionScore,
        };
        return this with { RecordList = RecordList.SetItem(RecordList.Length - 1, last) };
    }

    /// <summary>Adds a row.</summary>
    public TextFigure And(TextRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return this with { RecordList = RecordList.Add(record) };
    }

    /// <summary>Shows or hides the legend.</summary>
    public TextFigure WithLegend(bool show = true) => this with { ShowsLegend = show };

    /// <summary>An HTML fragment (a <c>div</c> with legend and table) to embed in a page or notebook.</summary>
    public string ToHtml() => TokenHtml.Fragment(RecordList, ShowsLegend, Title);

    /// <summary>Writes a complete HTML document (UTF-8, atomically).</summary>
    /// <exception cref="PlotWriteException">The file cannot be written; nothing is left behind.</exception>
    public void SaveHtml(string path)
    {
        FileOutput.CheckTarget(path);
        FileOutput.Write(path, System.Text.Encoding.UTF8.GetBytes(TokenHtml.Document(RecordList, ShowsLegend, Title)));
    }

    internal IEnumerable<string> AllNotes => RecordList.SelectMany(r => r.Notes).Distinct();

    internal TextLayout Layout(float width, string font) => TextLayout.Build(RecordList, ShowsLegend, Title, AllNotes, width, font);

    internal override PreparedFigure Prepare()
    {
        int width = Width ?? 600;
        string font = ResolvedFont;
        int height = Height ?? 0;
        if (Height is null)
        {
            using var layout = Layout(width, font);
            height = Math.Max(16, (int)Math.Ceiling(layout.Height));
        }
        var plot = new Plot();
        plot.Add.Plottable(new TokenAttributions(this, font));
        plot.Layout.Frameless();
        foreach (var axis in plot.Axes.GetAxes()) axis.IsVisible = false;
        plot.HideGrid();
        return new SinglePlotFigure { Width = width, Height = height, Plot = plot, Notes = AllNotes.ToArray() };
    }
}

/// <summary>A prepared figure that is one ScottPlot plot filling the canvas.</summary>
internal sealed class SinglePlotFigure : PreparedFigure
{
    public required Plot Plot { get; init; }

    public override void Draw(SKCanvas canvas) => Plot.Render(canvas, new PixelRect(0, Width, Height, 0));

    public override void Dispose() => Plot.Dispose();
}
