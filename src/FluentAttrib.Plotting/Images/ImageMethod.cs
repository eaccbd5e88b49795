namespace FluentAttrib.Plotting;

/// <summary>How an image attribution is drawn (Captum's <c>ImageVisualizationMethod</c>).</summary>
public enum ImageMethod
{
    /// <summary>The normalized attributions as a heat map. The only view that needs no image.</summary>
    HeatMap,

    /// <summary>The heat map, translucent (alpha overlay), over a grayscale version of the image.</summary>
    BlendedHeatMap,

    /// <summary>The image alone (attributions are not used).</summary>
    OriginalImage,

    /// <summary>The image multiplied pixel by pixel by the normalized attributions. Not for <see cref="AttributionSign.All"/>.</summary>
    MaskedImage,

    /// <summary>The image with each pixel's opacity set to its normalized attribution. Not for <see cref="AttributionSign.All"/>.</summary>
    AlphaScaling,
}

/// <summary>Where the channels of a 3-dimensional image tensor are.</summary>
public enum ImageLayout
{
    /// <summary>
    /// Decide from the shape: a leading dimension of 1, 3 or 4 means (C, H, W), a trailing one (H, W, C); when both
    /// fit, the reading whose height and width match the other tensor wins, then (C, H, W), TorchSharp's convention.
    /// </summary>
    Auto,

    /// <summary>(C, H, W), as TorchSharp models take images.</summary>
    ChannelsFirst,

    /// <summary>(H, W, C), as Captum's visualization functions and most image libraries take them.</summary>
    ChannelsLast,
}
