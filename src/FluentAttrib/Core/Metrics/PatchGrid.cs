namespace FluentAttrib.Core.Metrics;

/// <summary>
/// Square patches over the last two axes of a (C, H, W) example (Quantus §6.4): each spatial axis padded to a
/// multiple of the patch size (floor(t/2) before, ceil(t/2) after), patches enumerated row-major over the padded grid,
/// each spanning every channel. Arrays are flattened (c, h, w) in C order.
/// </summary>
internal sealed class PatchGrid
{
    public PatchGrid(long[] exampleShape, int patch)
    {
        if (exampleShape.Length != 3)
            throw new ArgumentException($"Patches need images (B, C, H, W); the example shape is ({string.Join(", ", exampleShape)}).", "input");
        C = (int)exampleShape[0];
        H = (int)exampleShape[1];
        W = (int)exampleShape[2];
        P = patch;
        (Top, _) = Perturbations.Padding(H, patch);
        (Left, _) = Perturbations.Padding(W, patch);
        Hp = H + (H % patch == 0 ? 0 : patch - H % patch);
        Wp = W + (W % patch == 0 ? 0 : patch - W % patch);
    }

    public int C { get; }
    public int H { get; }
    public int W { get; }
    public int P { get; }
    public int Top { get; }
    public int Left { get; }
    public int Hp { get; }
    public int Wp { get; }
    public bool Padded => Hp != H || Wp != W;
    public int PaddedLength => C * Hp * Wp;
    public int Patches => Hp / P * (Wp / P);

    private int Clamp(int v, int size) => Math.Clamp(v, 0, size - 1);

    /// <summary>The padded copy of an example: edge values repeated (<paramref name="edge"/>) or zeros.</summary>
    public double[] Pad(double[] x, bool edge)
    {
        var r = new double[PaddedLength];
        for (int c = 0; c < C; c++)
            for (int i = 0; i < Hp; i++)
                for (int j = 0; j < Wp; j++)
                {
                    int si = i - Top, sj = j - Left;
                    bool inside = si >= 0 && si < H && sj >= 0 && sj < W;
                    r[(c * Hp + i) * Wp + j] = inside ? x[(c * H + si) * W + sj]
                        : edge ? x[(c * H + Clamp(si, H)) * W + Clamp(sj, W)] : 0;
                }
        return r;
    }

    /// <summary>The padded cells of patch <paramref name="q"/>.</summary>
    public IEnumerable<int> Cells(int q)
    {
        int perRow = Wp / P, bi = q / perRow * P, bj = q % perRow * P;
        for (int c = 0; c < C; c++)
            for (int i = bi; i < bi + P; i++)
                for (int j = bj; j < bj + P; j++)
                    yield return (c * Hp + i) * Wp + j;
    }

    /// <summary>The sum of <paramref name="padded"/> over each patch.</summary>
    public double[] PatchSums(double[] padded)
    {
        var sums = new double[Patches];
        for (int q = 0; q < Patches; q++)
            foreach (int cell in Cells(q)) sums[q] += padded[cell];
        return sums;
    }

    /// <summary>The centre crop (the example's own cells) of a padded array.</summary>
    public T[] Crop<T>(T[] padded)
    {
        var r = new T[C * H * W];
        for (int c = 0; c < C; c++)
            for (int i = 0; i < H; i++)
                for (int j = 0; j < W; j++)
                    r[(c * H + i) * W + j] = padded[(c * Hp + i + Top) * Wp + j + Left];
        return r;
    }
}
