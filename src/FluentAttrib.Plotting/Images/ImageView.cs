using ScottPlot;

namespace FluentAttrib.Plotting;

/// <summary>
/// One panel of an image figure: a method (<see cref="HeatMap"/>, <see cref="BlendedHeatMap"/>, ...) and a sign
/// (<see cref="Positive"/>, <see cref="Negative"/>, ...), with Captum's defaults for the rest. Immutable; every
/// option returns a new view. Example: <c>ImageView.BlendedHeatMap.Positive.WithColorbar()</c>.
/// </summary>
public sealed record ImageView
{
    private ImageView(ImageMethod method, AttributionSign sign)
    {
        Method = method;
        Sign = sign;
    }

    /// <summary>A heat map of the absolute values (Captum's default view).</summary>
    public static ImageView HeatMap { get; } = new(ImageMethod.HeatMap, AttributionSign.AbsoluteValue);

    /// <summary>A translucent heat map of the absolute values over the grayscale image.</summary>
    public static ImageView BlendedHeatMap { get; } = new(ImageMethod.BlendedHeatMap, AttributionSign.AbsoluteValue);

    /// <summary>The image alone.</summary>
    public static ImageView OriginalImage { get; } = new(ImageMethod.OriginalImage, AttributionSign.AbsoluteValue);

    /// <summary>The image masked by the absolute attributions.</summary>
    public static ImageView MaskedImage { get; } = new(ImageMethod.MaskedImage, AttributionSign.AbsoluteValue);

    /// <summary>The image with opacity from the absolute attributions.</summary>
    public static ImageView AlphaScaling { get; } = new(ImageMethod.AlphaScaling, AttributionSign.AbsoluteValue);

    /// <summary>The view of <paramref name="method"/> showing <paramref name="sign"/>.</summary>
    /// <exception cref="UnsupportedViewException">The method cannot show that sign.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Unknown method or sign.</exception>
    public static ImageView Of(ImageMethod method, AttributionSign sign = AttributionSign.AbsoluteValue)
    {
        if (!Enum.IsDefined(method)) throw new ArgumentOutOfRangeException(nameof(method), method, "Unknown image method.");
        return new ImageView(method, AttributionSign.AbsoluteValue).WithSign(sign);
    }

    /// <summary>How the panel is drawn.</summary>
    public ImageMethod Method { get; }

    /// <summary>Which attributions are shown. <value>The default value is <see cref="AttributionSign.AbsoluteValue"/>.</value></summary>
    public AttributionSign Sign { get; private init; }

    /// <summary>The colormap of the heat map, or null for Captum's default for the sign (<see cref="CaptumColormaps.For"/>).</summary>
    public IColormap? Colormap { get; private init; }

    /// <summary>Opacity of the heat map over the image in <see cref="ImageMethod.BlendedHeatMap"/>. <value>The default value is 0.5.</value></summary>
    public double AlphaOverlay { get; private init; } = 0.5;

    /// <summary>Share of the total attribution (in percent) treated as outliers and drawn at full color. <value>The default value is 2.</value></summary>
    public double OutlierPercent { get; private init; } = AttributionNormalization.DefaultOutlierPercent;

    /// <summary>Whether a colorbar is drawn below the panel (heat-map methods only). <value>The default value is false.</value></summary>
    public bool ShowsColorbar { get; private init; }

    /// <summary>The panel's title, or null. <value>The default value is null.</value></summary>
    public string? Title { get; private init; }

    /// <summary>This method showing positive and negative attributions (red–white–green).</summary>
    /// <exception cref="UnsupportedViewException">For masked images and alpha scaling, which cannot show both signs.</exception>
    public ImageView All => WithSign(AttributionSign.All);

    /// <summary>This method showing positive attributions (greens).</summary>
    public ImageView Positive => WithSign(AttributionSign.Positive);

    /// <summary>This method showing negative attributions by magnitude (reds).</summary>
    public ImageView Negative => WithSign(AttributionSign.Negative);

    /// <summary>This method showing absolute values (blues).</summary>
    public ImageView AbsoluteValue => WithSign(AttributionSign.AbsoluteValue);

    /// <summary>Whether the view uses the attribution (all but <see cref="ImageMethod.OriginalImage"/>).</summary>
    public bool UsesAttribution => Method != ImageMethod.OriginalImage;

    /// <summary>Whether the view needs the image (all but <see cref="ImageMethod.HeatMap"/>).</summary>
    public bool NeedsImage => Method != ImageMethod.HeatMap;

    /// <summary>Whether the view draws through a colormap (heat map and blended heat map), so a colorbar means something.</summary>
    public bool HasColorScale => Method is ImageMethod.HeatMap or ImageMethod.BlendedHeatMap;

    /// <summary>The colormap that will be used: <see cref="Colormap"/> or Captum's default for the sign.</summary>
    public IColormap EffectiveColormap => Colormap ?? CaptumColormaps.For(Sign);

    /// <summary>This method showing <paramref name="sign"/>.</summary>
    /// <exception cref="UnsupportedViewException">
    /// <see cref="ImageMethod.MaskedImage"/> or <see cref="ImageMethod.AlphaScaling"/> with <see cref="AttributionSign.All"/>
    /// (signed values cannot be a mask or an opacity; Captum asserts the same).
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException">Unknown sign.</exception>
    public ImageView WithSign(AttributionSign sign)
    {
        AttributionNormalization.CheckSign(sign);
        if (sign == AttributionSign.All && Method is ImageMethod.MaskedImage or ImageMethod.AlphaScaling)
            throw new UnsupportedViewException(
                $"{Describe(Method)} cannot show positive and negative attributions at once (sign All): " +
                "choose Positive, Negative or AbsoluteValue, or use a heat map.");
        return this with { Sign = sign };
    }

    /// <summary>Uses <paramref name="colormap"/> for the heat map instead of Captum's default.</summary>
    public ImageView WithColormap(IColormap colormap)
    {
        ArgumentNullException.ThrowIfNull(colormap);
        return this with { Colormap = colormap };
    }

    /// <summary>Sets the opacity of the heat map in a blended heat map.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside [0, 1].</exception>
    public ImageView WithAlphaOverlay(double alpha)
    {
        if (!(alpha >= 0 && alpha <= 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "The overlay opacity must be in [0, 1].");
        return this with { AlphaOverlay = alpha };
    }

    /// <summary>Sets the share of the total attribution treated as outliers (Captum's <c>outlier_perc</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside [0, 100).</exception>
    public ImageView WithOutlierPercent(double percent)
    {
        AttributionNormalization.CheckOutlierPercent(percent);
        return this with { OutlierPercent = percent };
    }

    /// <summary>Draws a colorbar below the panel (Captum's <c>show_colorbar</c>).</summary>
    public ImageView WithColorbar(bool show = true) => this with { ShowsColorbar = show };

    /// <summary>Titles the panel.</summary>
    public ImageView WithTitle(string title)
    {
        ArgumentNullException.ThrowIfNull(title);
        return this with { Title = title };
    }

    /// <summary>Captum's names, e.g. <c>blended_heat_map/positive</c>.</summary>
    public override string ToString() => Method == ImageMethod.OriginalImage
        ? Describe(Method)
        : Describe(Method) + "/" + Describe(Sign);

    internal static string Describe(ImageMethod method) => method switch
    {
        ImageMethod.HeatMap => "heat_map",
        ImageMethod.BlendedHeatMap => "blended_heat_map",
        ImageMethod.OriginalImage => "original_image",
        ImageMethod.MaskedImage => "masked_image",
        _ => "alpha_scaling",
    };

    internal static string Describe(AttributionSign sign) => sign switch
    {
        AttributionSign.All => "all",
        AttributionSign.Positive => "positive",
        AttributionSign.Negative => "negative",
        _ => "absolute_value",
    };
}
