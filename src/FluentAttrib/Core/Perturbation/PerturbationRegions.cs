using FluentAttrib.Core.Incremental;
using static TorchSharp.torch;

namespace FluentAttrib.Core.Perturbation;

/// <summary>
/// The H × W rectangle each perturbation of a single 4-D input changes, for incremental evaluation: Occlusion's
/// windows and FeatureAblation's features. Perturbation 0 (the batch itself) changes nothing.
/// </summary>
internal static class PerturbationRegions
{
    /// <summary>The changed H × W rectangle of every perturbation of a single 4-D input (perturbation 0: none).</summary>
    public static Region[] Windows((long[] Shape, long[] Window, long[] Stride) g, SlidingWindows windows)
    {
        var regions = new Region[windows.Total + 1];
        regions[0] = Region.Empty;
        long ch = windows.Counts[1], cw = windows.Counts[2];
        for (int i = 0; i < windows.Total; i++)
        {
            long kx = i % cw, ky = i / cw % ch;
            long y0 = ky * g.Stride[1], x0 = kx * g.Stride[2];
            regions[i + 1] = new Region(y0, Math.Min(y0 + g.Window[1], g.Shape[1]), x0, Math.Min(x0 + g.Window[2], g.Shape[2]));
        }
        return regions;
    }

    /// <summary>
    /// The bounding H × W rectangle of every feature of a single 4-D input (over the batch and the channels), as
    /// perturbations 1 … Count; perturbation 0 (the batch itself) changes nothing.
    /// </summary>
    public static Region[] Features(FeatureGroups groups, Tensor input)
    {
        var pos = groups.Positions[0];
        long height = input.shape[2], width = input.shape[3];
        long[] shape = pos.shape;
        var ids = pos.to(ScalarType.Int64).cpu().contiguous().data<long>().ToArray();
        int count = groups.Count;
        var y0 = Enumerable.Repeat(long.MaxValue, count).ToArray();
        var y1 = new long[count];
        var x0 = Enumerable.Repeat(long.MaxValue, count).ToArray();
        var x1 = new long[count];
        long h = shape[2], w = shape[3];
        for (long e = 0; e < ids.Length; e++)
        {
            long f = ids[e], y = e / w % h, x = e % w;
            long top = h == 1 ? 0 : y, bottom = h == 1 ? height : y + 1;
            long left = w == 1 ? 0 : x, right = w == 1 ? width : x + 1;
            y0[f] = Math.Min(y0[f], top);
            y1[f] = Math.Max(y1[f], bottom);
            x0[f] = Math.Min(x0[f], left);
            x1[f] = Math.Max(x1[f], right);
        }
        var regions = new Region[count + 1];
        regions[0] = Region.Empty;
        for (int f = 0; f < count; f++)
            regions[f + 1] = y1[f] > 0 ? new Region(y0[f], y1[f], x0[f], x1[f]) : Region.Empty;
        return regions;
    }
}
