using System.Globalization;
using System.Net;
using System.Text;
using ScottPlot;

namespace FluentAttrib.Plotting;

/// <summary>Captum's token colors and HTML (<c>_get_color</c>, <c>format_word_importances</c>, <c>visualize_text</c>), escaped.</summary>
internal static class TokenHtml
{
    /// <summary>Captum's hue and lightness for an attribution: green (hue 120) for positive, red (hue 0) otherwise.</summary>
    public static (int Hue, int Saturation, int Lightness) Hsl(double attribution)
    {
        double a = Math.Clamp(attribution, -1, 1);
        return a > 0 ? (120, 75, 100 - (int)(50 * a)) : (0, 75, 100 - (int)(-40 * a));
    }

    public static string Css(double attribution)
    {
        var (h, s, l) = Hsl(attribution);
        return string.Create(CultureInfo.InvariantCulture, $"hsl({h}, {s}%, {l}%)");
    }

    public static Color Rgb(double attribution)
    {
        var (h, s, l) = Hsl(attribution);
        double sat = s / 100.0, light = l / 100.0;
        double chroma = (1 - Math.Abs(2 * light - 1)) * sat;
        double m = light - chroma / 2;
        // Hue is 0 (red) or 120 (green): the chroma goes to one channel.
        double r = m + (h == 0 ? chroma : 0), g = m + (h == 120 ? chroma : 0), b = m;
        static byte B(double v) => (byte)Math.Round(Math.Clamp(v, 0, 1) * 255);
        return new Color(B(r), B(g), B(b), (byte)255);
    }

    /// <summary>Captum's <c>format_special_tokens</c>: <c>&lt;s&gt;</c> becomes <c>#s</c>; control characters become visible dots.</summary>
    public static string Display(string token)
    {
        if (token.StartsWith('<') && token.EndsWith('>')) token = "#" + token.Trim('<', '>');
        return string.Concat(token.Select(c => char.IsControl(c) ? '·' : c));
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);

    public static string Fragment(IReadOnlyList<TextRecord> records, bool legend, string? title)
    {
        var sb = new StringBuilder();
        sb.Append("<div class=\"fluentattrib-text\">\n");
        if (title is not null) sb.Append("<h3>").Append(E(title)).Append("</h3>\n");
        if (legend)
        {
            sb.Append("<div style=\"border-top: 1px solid; margin-top: 5px; padding-top: 5px; display: inline-block\"><b>Legend: </b>");
            foreach (var (value, label) in new[] { (-1.0, "Negative"), (0.0, "Neutral"), (1.0, "Positive") })
                sb.Append("<span style=\"display: inline-block; width: 10px; height: 10px; border: 1px solid; background-color: ")
                  .Append(Css(value)).Append("\"></span> ").Append(label).Append("  ");
            sb.Append("</div>\n");
        }
        sb.Append("<table style=\"width: 100%\">\n");
        sb.Append("<tr><th>True Label</th><th>Predicted Label</th><th>Attribution Label</th><th>Attribution Score</th><th>Word Importance</th></tr>\n");
        foreach (var r in records)
        {
            sb.Append("<tr>");
            foreach (var cell in new[] { r.TrueLabel ?? "", r.PredictedText, r.AttributionLabel ?? "", r.ScoreText })
                sb.Append("<td><span style=\"padding-right: 2em\"><b>").Append(E(cell)).Append("</b></span></td>");
            sb.Append("<td>");
            for (int i = 0; i < r.Tokens.Count; i++)
            {
                double a = r.Attributions[i];
                sb.Append("<mark style=\"background-color: ").Append(Css(a))
                  .Append("; opacity: 1.0; line-height: 1.75\" title=\"")
                  .Append(a.ToString("0.####", CultureInfo.InvariantCulture))
                  .Append("\"><span style=\"color: black\"> ").Append(E(Display(r.Tokens[i]))).Append(" </span></mark>");
            }
            sb.Append("</td></tr>\n");
        }
        sb.Append("</table>\n");
        foreach (var note in records.SelectMany(r => r.Notes).Distinct())
            sb.Append("<p style=\"font-style: italic; color: #505050\">").Append(E(note)).Append("</p>\n");
        sb.Append("</div>\n");
        return sb.ToString();
    }

    public static string Document(IReadOnlyList<TextRecord> records, bool legend, string? title) =>
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>" + E(title ?? "Token attributions") +
        "</title>\n</head>\n<body>\n" + Fragment(records, legend, title) + "</body>\n</html>\n";
}
