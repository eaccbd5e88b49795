using TorchSharp;
using static TorchSharp.torch;

namespace FluentAttrib.Plotting.Tests;

/// <summary>Deterministic tensors for the snapshots (no random numbers).</summary>
public static class TestData
{
    public const int H = 24;
    public const int W = 32;

    /// <summary>A (3, H, W) image in [0, 1]: red across, green down, blue in diagonal bands, a dark square.</summary>
    public static Tensor ImageChw()
    {
        var v = new float[3 * H * W];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                bool square = x >= 18 && x < 26 && y >= 4 && y < 12;
                v[0 * H * W + y * W + x] = square ? 0.1f : x / (float)(W - 1);
                v[1 * H * W + y * W + x] = square ? 0.1f : y / (float)(H - 1);
                v[2 * H * W + y * W + x] = square ? 0.1f : ((x + y) % 8) / 8f;
            }
        return tensor(v, [3, H, W]);
    }

    /// <summary>
    /// A (3, H, W) attribution: a positive bump at (row 8, col 9), a weaker negative bump at (row 17, col 22), a
    /// gentle ramp, spread unevenly over the channels (so the channel sum matters).
    /// </summary>
    public static Tensor AttributionChw()
    {
        var v = new float[3 * H * W];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                double pos = Math.Exp(-((y - 8) * (y - 8) + (x - 9) * (x - 9)) / 18.0);
                double neg = -0.6 * Math.Exp(-((y - 17) * (y - 17) + (x - 22) * (x - 22)) / 12.0);
                double ramp = 0.05 * (x - W / 2.0) / W;
                double total = pos + neg + ramp;
                v[0 * H * W + y * W + x] = (float)(0.5 * total);
                v[1 * H * W + y * W + x] = (float)(0.3 * total);
                v[2 * H * W + y * W + x] = (float)(0.2 * total);
            }
        return tensor(v, [3, H, W]);
    }

    /// <summary>A (N, C) series with three channels, N = 60.</summary>
    public static (Tensor Data, Tensor Attribution) Series(int n = 60)
    {
        var data = new float[n * 3];
        var attr = new float[n * 3];
        for (int t = 0; t < n; t++)
        {
            double s = t / (double)n;
            data[t * 3 + 0] = (float)Math.Sin(2 * Math.PI * 2 * s);
            data[t * 3 + 1] = (float)(0.5 * Math.Cos(2 * Math.PI * 3 * s) + 0.2);
            data[t * 3 + 2] = (float)(2 * s - 1);
            attr[t * 3 + 0] = (float)Math.Exp(-Math.Pow((t - 15) / 4.0, 2));
            attr[t * 3 + 1] = (float)(-0.7 * Math.Exp(-Math.Pow((t - 40) / 5.0, 2)));
            attr[t * 3 + 2] = (float)(0.3 * Math.Sin(2 * Math.PI * s));
        }
        return (tensor(data, [n, 3]), tensor(attr, [n, 3]));
    }
}
