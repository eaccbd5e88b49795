namespace FluentAttrib.Plotting;

/// <summary>
/// An attribution, image or series cannot be drawn because of its shape: it is empty, has a rank no view accepts,
/// holds a batch of several examples without one being chosen, or does not match the image or data it is drawn over.
/// </summary>
public class AttributionShapeException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public AttributionShapeException() { }

    /// <summary>Creates the exception.</summary>
    public AttributionShapeException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public AttributionShapeException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>An attribution, image or series holds NaN or infinite values, which have no color.</summary>
public sealed class NonFiniteValuesException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public NonFiniteValuesException() { }

    /// <summary>Creates the exception.</summary>
    public NonFiniteValuesException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public NonFiniteValuesException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>
/// A view cannot show the requested sign, e.g. Captum's <c>masked_image</c> and <c>alpha_scaling</c> cannot show
/// positive and negative attributions at once (<see cref="AttributionSign.All"/>).
/// </summary>
public sealed class UnsupportedViewException : NotSupportedException
{
    /// <summary>Creates the exception.</summary>
    public UnsupportedViewException() { }

    /// <summary>Creates the exception.</summary>
    public UnsupportedViewException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public UnsupportedViewException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>A view needs an input that was not given: the image under a blended heat map, the series under a time-series view.</summary>
public sealed class MissingInputException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public MissingInputException() { }

    /// <summary>Creates the exception.</summary>
    public MissingInputException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public MissingInputException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>
/// A figure could not be written to <see cref="Path"/>. Files are written to a temporary file beside the target and
/// moved into place, so a failed save leaves neither a partial file nor the temporary file behind.
/// </summary>
public sealed class PlotWriteException : IOException
{
    /// <summary>Creates the exception.</summary>
    public PlotWriteException() { }

    /// <summary>Creates the exception.</summary>
    public PlotWriteException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public PlotWriteException(string message, Exception? inner) : base(message, inner) { }

    /// <summary>Creates the exception for <paramref name="path"/>, saying <paramref name="reason"/>.</summary>
    public PlotWriteException(string path, string reason, Exception? inner)
        : base($"Cannot write the figure to '{path}': {reason}", inner) => Path = path;

    /// <summary>The path that could not be written, or null.</summary>
    public string? Path { get; }
}
