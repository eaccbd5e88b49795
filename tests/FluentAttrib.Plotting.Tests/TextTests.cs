namespace FluentAttrib.Plotting.Tests;

public class TextTests
{
    private static readonly string[] Tokens = ["<s>", "the", "movie", "was", "not", "good", "at", "all", "!", "</s>"];
    private static readonly double[] Values = [0, 0.05, 0.2, -0.1, -0.8, 0.9, 0.0, -0.3, 0.1, 0];

    /// <summary>
    /// The figure of the <c>text</c> snapshots; with <paramref name="unhighlighted"/>, that token of the first record
    /// gets attribution 0 (a white box: no highlight), everything else unchanged.
    /// </summary>
    internal static TextFigure Figure(int? unhighlighted = null) =>
        TextFigure.Of(new TextRecord(Tokens, Values.Select((v, i) => i == unhighlighted ? 0 : v).ToArray())
        {
            TrueLabel = "negative",
            PredictedLabel = "positive",
            PredictedProbability = 0.62,
            AttributionLabel = "positive",
            AttributionScore = Values.Sum(),
        }).And(new TextRecord(["a", "truly", "great", "film"], [0.1, 0.4, 1.0, 0.05]) { TrueLabel = "positive" });

    [Fact]
    public void Html_matches_captum_layout_and_is_escaped()
    {
        var html = Figure().ToHtml();
        Snapshot.MatchText(html, "text", "html");
        Assert.Contains("hsl(120, 75%, 55%)", html);   // 0.9 → lightness 100 − int(45) = 55
        Assert.Contains("hsl(0, 75%, 68%)", html);     // −0.8 → lightness 100 − int(32) = 68
        Assert.Contains("positive (0.62)", html);
        Assert.Contains("<b>Legend: </b>", html);
        Assert.Contains("> #s <", html);               // Captum's special-token formatting
    }

    [Fact]
    public void Tokens_and_labels_cannot_inject_markup_1226()
    {
        var evil = TextFigure.Of(new TextRecord(["<img src=x onerror=alert(1)>", "\"quoted\"", "a&b", "x<script>alert(2)</script>"], [0.5, -0.5, 0.1, 0.2])
        {
            TrueLabel = "<b onmouseover=alert(3)>x</b>",
        });
        var html = evil.ToHtml();
        Assert.DoesNotContain("<img", html);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("<b onmouseover", html);
        Assert.Contains("x&lt;script&gt;alert(2)&lt;/script&gt;", html);
        Assert.Contains("&quot;quoted&quot;", html);
        Assert.Contains("a&amp;b", html);
        var svg = evil.WithSize(500, 200).ToSvg();
        Assert.DoesNotContain("<script", svg);
        Assert.DoesNotContain("<img", svg);
    }

    [Fact]
    public void Png_draws_the_same_records()
    {
        Snapshot.MatchPng(Figure().WithSize(520, 250).ToPng(), "text");
        // Without a height the figure is as tall as its content.
        using var image = SkiaSharp.SKBitmap.Decode(Figure().WithSize(520, 250) is var f ? Figure().ToPng() : null);
        Assert.Equal(600, image.Width);
        Assert.InRange(image.Height, 120, 300);
    }

    [Fact]
    public void Text_svg_is_exact()
    {
        Snapshot.MatchText(Figure().WithSize(520, 250).ToSvg(), "text", "svg");
    }

    [Fact]
    public void Html_file_is_a_complete_utf8_document()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fa-text-{Guid.NewGuid():N}.html");
        try
        {
            Figure().WithTitle("Sentiment <IG>").SaveHtml(path);
            var text = File.ReadAllText(path);
            Assert.StartsWith("<!DOCTYPE html>", text);
            Assert.Contains("<meta charset=\"utf-8\">", text);
            Assert.Contains("Sentiment &lt;IG&gt;", text);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Records_reject_mismatched_or_non_finite_attributions()
    {
        Assert.Throws<AttributionShapeException>(() => new TextRecord(["a", "b"], [1.0]));
        Assert.Throws<AttributionShapeException>(() => new TextRecord([], []));
        Assert.Throws<NonFiniteValuesException>(() => new TextRecord(["a"], [double.NaN]));
        Assert.Throws<ArgumentException>(() => TextFigure.Of());
    }
}
