namespace FluentAttrib.Core.Perturbation;

/// <summary>The window and stride shapes of Occlusion: checked when set, and written as in its messages.</summary>
internal static class WindowShapes
{
    /// <summary>Checks one window or stride shape.</summary>
    public static ValueList<long> Check(long[] values, string paramName, string what)
    {
        ArgumentNullException.ThrowIfNull(values, paramName);
        if (values.Length == 0) throw new ArgumentException($"The {what} needs at least one dimension.", paramName);
        foreach (long v in values)
            if (v < 1) throw new ArgumentOutOfRangeException(paramName, v, $"Every extent of the {what} must be at least 1; got {Format([.. values])}.");
        return [.. values];
    }

    /// <summary>A shape as "(a, b, c)".</summary>
    public static string Format(ValueList<long> shape) => "(" + string.Join(", ", shape) + ")";
}
