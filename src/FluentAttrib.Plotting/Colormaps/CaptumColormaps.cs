using ScottPlot;

namespace FluentAttrib.Plotting;

/// <summary>
/// The colormaps Captum draws with, as ScottPlot colormaps: red–white–green for <see cref="AttributionSign.All"/>,
/// matplotlib's Greens, Reds and Blues (ColorBrewer's 9-class sequential schemes) for the other signs, and gray for
/// the image under a blended heat map.
/// </summary>
public static class CaptumColormaps
{
    /// <summary>Captum's "RdWhGn": red (−1) through white (0) to green (1; matplotlib's "green", #008000).</summary>
    public static LinearSegmentedColormap RedWhiteGreen { get; } =
        new("RdWhGn", [Color.FromHex("#FF0000"), Color.FromHex("#FFFFFF"), Color.FromHex("#008000")]);

    /// <summary>matplotlib's "Greens": white to dark green. Captum's default for <see cref="AttributionSign.Positive"/>.</summary>
    public static LinearSegmentedColormap Greens { get; } = FromHex("Greens",
        "#F7FCF5", "#E5F5E0", "#C7E9C0", "#A1D99B", "#74C476", "#41AB5D", "#238B45", "#006D2C", "#00441B");

    /// <summary>matplotlib's "Reds": white to dark red. Captum's default for <see cref="AttributionSign.Negative"/>.</summary>
    public static LinearSegmentedColormap Reds { get; } = FromHex("Reds",
        "#FFF5F0", "#FEE0D2", "#FCBBA1", "#FC9272", "#FB6A4A", "#EF3B2C", "#CB181D", "#A50F15", "#67000D");

    /// <summary>matplotlib's "Blues": white to dark blue. Captum's default for <see cref="AttributionSign.AbsoluteValue"/>.</summary>
    public static LinearSegmentedColormap Blues { get; } = FromHex("Blues",
        "#F7FBFF", "#DEEBF7", "#C6DBEF", "#9ECAE1", "#6BAED6", "#4292C6", "#2171B5", "#08519C", "#08306B");

    /// <summary>matplotlib's "gray": black to white.</summary>
    public static LinearSegmentedColormap Gray { get; } = FromHex("gray", "#000000", "#FFFFFF");

    /// <summary>Captum's default colormap for <paramref name="sign"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Unknown sign.</exception>
    public static LinearSegmentedColormap For(AttributionSign sign) => sign switch
    {
        AttributionSign.All => RedWhiteGreen,
        AttributionSign.Positive => Greens,
        AttributionSign.Negative => Reds,
        AttributionSign.AbsoluteValue => Blues,
        _ => throw new ArgumentOutOfRangeException(nameof(sign), sign, "Unknown attribution sign."),
    };

    /// <summary>matplotlib's "Dark2" palette, which Captum cycles through for the lines of a combined time-series overlay.</summary>
    public static IReadOnlyList<Color> Dark2 { get; } = Array.AsReadOnly(new[]
    {
        Color.FromHex("#1B9E77"), Color.FromHex("#D95F02"), Color.FromHex("#7570B3"), Color.FromHex("#E7298A"),
        Color.FromHex("#66A61E"), Color.FromHex("#E6AB02"), Color.FromHex("#A6761D"), Color.FromHex("#666666"),
    });

    /// <summary>matplotlib's first default line color (C0), used for single-channel series.</summary>
    public static Color DefaultLine { get; } = Color.FromHex("#1F77B4");

    /// <summary>The color range (vmin, vmax) Captum uses for <paramref name="sign"/>: (−1, 1) for all, (0, 1) otherwise.</summary>
    internal static (double Min, double Max) RangeFor(AttributionSign sign) => sign == AttributionSign.All ? (-1, 1) : (0, 1);

    private static LinearSegmentedColormap FromHex(string name, params string[] hex) =>
        new(name, hex.Select(Color.FromHex).ToArray());
}

/// <summary>A colormap seen through a translucent overlay on white, so a colorbar shows the colors the plot shows.</summary>
internal sealed class OverWhiteColormap(IColormap inner, double alpha) : IColormap
{
    public string Name => inner.Name;

    public Color GetColor(double position)
    {
        var c = inner.GetColor(position);
        static byte Blend(byte v, double a) => (byte)Math.Round(a * v + (1 - a) * 255);
        return new Color(Blend(c.R, alpha), Blend(c.G, alpha), Blend(c.B, alpha), (byte)255);
    }
}
