using ScottPlot;

namespace FluentAttrib.Plotting;

/// <summary>
/// A colormap that interpolates linearly between equally spaced colors and quantizes to a lookup table, like
/// matplotlib's <c>LinearSegmentedColormap.from_list(name, colors, N)</c>: a position p in [0, 1] takes entry
/// <c>min(floor(p · N), N − 1)</c> of N colors sampled evenly from 0 to 1. Positions outside [0, 1] are clamped.
/// </summary>
public sealed class LinearSegmentedColormap : IColormap
{
    private readonly Color[] _table;

    /// <summary>Creates the colormap from at least two anchor colors placed evenly from 0 to 1.</summary>
    /// <param name="name">Its name (shown nowhere but in <see cref="Name"/>).</param>
    /// <param name="colors">The anchors, first at position 0, last at 1.</param>
    /// <param name="levels">Entries in the lookup table. <value>The default value is 256, as in matplotlib.</value></param>
    /// <exception cref="ArgumentException">Fewer than two colors.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="levels"/> is less than 2.</exception>
    public LinearSegmentedColormap(string name, IReadOnlyList<Color> colors, int levels = 256)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(colors);
        if (colors.Count < 2) throw new ArgumentException("A colormap needs at least two colors.", nameof(colors));
        ArgumentOutOfRangeException.ThrowIfLessThan(levels, 2);
        Name = name;
        Anchors = colors.ToArray();
        _table = new Color[levels];
        int segments = colors.Count - 1;
        for (int i = 0; i < levels; i++)
        {
            double x = (double)i / (levels - 1) * segments;
            int k = Math.Min((int)Math.Floor(x), segments - 1);
            double f = x - k;
            Color a = colors[k], b = colors[k + 1];
            _table[i] = new Color(Mix(a.R, b.R, f), Mix(a.G, b.G, f), Mix(a.B, b.B, f), Mix(a.A, b.A, f));
        }
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The anchor colors, evenly spaced from 0 to 1.</summary>
    public IReadOnlyList<Color> Anchors { get; }

    /// <summary>Number of entries in the lookup table.</summary>
    public int Levels => _table.Length;

    /// <inheritdoc />
    public Color GetColor(double position)
    {
        if (double.IsNaN(position)) return Colors.Transparent;
        int index = position <= 0 ? 0 : (int)Math.Min(Math.Floor(position * _table.Length), _table.Length - 1);
        return _table[index];
    }

    /// <summary>The same colors in reverse order (matplotlib's <c>_r</c> maps).</summary>
    public LinearSegmentedColormap Reversed() => new(Name + "_r", Anchors.Reverse().ToArray(), Levels);

    private static byte Mix(byte a, byte b, double f) => (byte)Math.Round(a + (b - a) * f, MidpointRounding.AwayFromZero);
}
