using ScottPlot;

namespace FluentAttrib.Plotting;

/// <summary>
/// SHAP's colors: the positive red and negative blue of its waterfall and force plots, and its <c>red_blue</c>
/// colormap (blue for low feature values, red for high), which runs through the CIE LCh color space from the blue to
/// the red with the lightness dipping in the middle so neighboring values stay distinguishable.
/// </summary>
public static class ShapColors
{
    private static readonly (double L, double C, double H) BlueLch = (54.0, 70.0, 4.6588);
    private static readonly (double L, double C, double H) RedLch = (54.0, 90.0, 0.35470565 + 2 * Math.PI);
    private const double MiddleLightness = 40.0;

    /// <summary>Positive attributions (waterfall arrows pushing the output up): #FF0051.</summary>
    public static Color Positive { get; } = Color.FromHex("#FF0051");

    /// <summary>Negative attributions (and the bar view's bars): #008BFB.</summary>
    public static Color Negative { get; } = Color.FromHex("#008BFB");

    /// <summary>The one color of an uncolored dependence view: SHAP's blue end of <see cref="RedBlue"/>.</summary>
    public static Color Blue { get; } = FromLch(BlueLch.L, BlueLch.C, BlueLch.H);

    /// <summary>Dots whose feature value is not a number: #777777.</summary>
    public static Color Missing { get; } = Color.FromHex("#777777");

    /// <summary>SHAP's <c>red_blue</c> colormap: 0 is blue (low), 1 is red (high).</summary>
    public static LinearSegmentedColormap RedBlue { get; } = BuildRedBlue();

    private static LinearSegmentedColormap BuildRedBlue()
    {
        const int steps = 100;
        var colors = new Color[steps];
        for (int i = 0; i < steps; i++)
        {
            double t = (double)i / (steps - 1);
            // The lightness falls linearly to the middle over the first half and rises again over the second.
            int half = steps / 2;
            double l = i < half
                ? BlueLch.L + (MiddleLightness - BlueLch.L) * i / (half - 1)
                : MiddleLightness + (RedLch.L - MiddleLightness) * (i - half) / (steps - half - 1);
            colors[i] = FromLch(l, BlueLch.C + (RedLch.C - BlueLch.C) * t, BlueLch.H + (RedLch.H - BlueLch.H) * t);
        }
        return new LinearSegmentedColormap("red_blue", colors);
    }

    /// <summary>CIE LCh (D65) to sRGB, clipped to the gamut.</summary>
    internal static Color FromLch(double l, double c, double h)
    {
        double a = c * Math.Cos(h), b = c * Math.Sin(h);
        double fy = (l + 16) / 116, fx = fy + a / 500, fz = fy - b / 200;
        static double Inverse(double t) => t > 6.0 / 29 ? t * t * t : 3 * (6.0 / 29) * (6.0 / 29) * (t - 4.0 / 29);
        double x = 0.95047 * Inverse(fx), y = Inverse(fy), z = 1.08883 * Inverse(fz);
        double r = 3.2404542 * x - 1.5371385 * y - 0.4985314 * z;
        double g = -0.9692660 * x + 1.8760108 * y + 0.0415560 * z;
        double bl = 0.0556434 * x - 0.2040259 * y + 1.0572252 * z;
        static byte Gamma(double v)
        {
            v = v <= 0.0031308 ? 12.92 * v : 1.055 * Math.Pow(v, 1 / 2.4) - 0.055;
            return (byte)Math.Round(Math.Clamp(v, 0, 1) * 255, MidpointRounding.AwayFromZero);
        }
        return new Color(Gamma(r), Gamma(g), Gamma(bl));
    }
}
