using System.Runtime.CompilerServices;
using SkiaSharp;
using Xunit.Sdk;

namespace FluentAttrib.Plotting.Tests;

/// <summary>
/// Approved-file snapshots stored beside the tests in <c>Snapshots/</c>. On a mismatch (or a missing approved file)
/// the output is written as <c>NAME.received.EXT</c> (git-ignored) and the test fails. To accept every received
/// output, run the tests once with <c>FLUENTATTRIB_ACCEPT_SNAPSHOTS=1 dotnet test tests/FluentAttrib.Plotting.Tests</c>:
/// approved files are then (over)written and received files removed.
/// PNGs are compared almost exactly: a pixel differs when a channel differs by more than <see cref="ChannelTolerance"/>
/// (2/255: the rounding a different vector unit may give an anti-aliased edge), and at most
/// <see cref="PixelShareTolerance"/> of the pixels (one in ten thousand) may differ. ScottPlot renders the same plot to
/// the same PNG, so a re-rendering passes, while a missing line, panel, colorbar or token highlight (hundreds of pixels,
/// some of them pale) fails. The former tolerance (24/255 on 0.5% of the pixels) let whole lines vanish unnoticed.
/// A machine with other fonts or another Skia build renders text differently: re-accept the snapshots there.
/// SVG, HTML and text are compared exactly (line endings aside).
/// </summary>
public static class Snapshot
{
    public const string AcceptVariable = "FLUENTATTRIB_ACCEPT_SNAPSHOTS";

    /// <summary>A pixel counts as different when a channel differs by more than this (out of 255).</summary>
    public const int ChannelTolerance = 2;

    /// <summary>The share of pixels that may differ: 0.01%, so 9 pixels of a 300×300 figure.</summary>
    public const double PixelShareTolerance = 0.0001;

    private static bool Accepting => Environment.GetEnvironmentVariable(AcceptVariable) is "1" or "true" or "TRUE";

    public static void MatchPng(byte[] png, string name, [CallerFilePath] string source = "")
    {
        var (approved, received) = Paths(name, "png", source);
        string? problem = null;
        if (!File.Exists(approved)) problem = "there is no approved snapshot yet";
        else problem = ComparePng(File.ReadAllBytes(approved), png);
        Conclude(problem, approved, received, () => File.WriteAllBytes(received, png), () => File.WriteAllBytes(approved, png));
    }

    /// <summary>The approved PNG snapshot <paramref name="name"/>, for tests that compare renderings with it themselves.</summary>
    public static byte[] ApprovedPng(string name, [CallerFilePath] string source = "")
    {
        var (approved, _) = Paths(name, "png", source);
        Assert.True(File.Exists(approved), $"There is no approved snapshot {approved}.");
        return File.ReadAllBytes(approved);
    }

    public static void MatchText(string text, string name, string extension, [CallerFilePath] string source = "")
    {
        text = text.Replace("\r\n", "\n", StringComparison.Ordinal);
        var (approved, received) = Paths(name, extension, source);
        string? problem = null;
        if (!File.Exists(approved)) problem = "there is no approved snapshot yet";
        else
        {
            string expected = File.ReadAllText(approved).Replace("\r\n", "\n", StringComparison.Ordinal);
            if (expected != text)
            {
                int at = 0;
                while (at < Math.Min(expected.Length, text.Length) && expected[at] == text[at]) at++;
                problem = $"the text differs from character {at} on (approved {expected.Length} chars, received {text.Length})";
            }
        }
        Conclude(problem, approved, received, () => File.WriteAllText(received, text), () => File.WriteAllText(approved, text));
    }

    /// <summary>Compares two PNGs with the tolerance; null when they match, else what differs and where.</summary>
    public static string? ComparePng(byte[] expectedPng, byte[] actualPng)
    {
        using var expected = SKBitmap.Decode(expectedPng);
        using var actual = SKBitmap.Decode(actualPng);
        if (expected is null || actual is null) return "a PNG could not be decoded";
        if (expected.Width != actual.Width || expected.Height != actual.Height)
            return $"the size differs: approved {expected.Width}×{expected.Height}, received {actual.Width}×{actual.Height}";
        int differing = 0, maxDiff = 0;
        int left = int.MaxValue, top = int.MaxValue, right = -1, bottom = -1;
        for (int y = 0; y < expected.Height; y++)
            for (int x = 0; x < expected.Width; x++)
            {
                SKColor a = expected.GetPixel(x, y), b = actual.GetPixel(x, y);
                int d = Math.Max(Math.Max(Math.Abs(a.Red - b.Red), Math.Abs(a.Green - b.Green)),
                    Math.Max(Math.Abs(a.Blue - b.Blue), Math.Abs(a.Alpha - b.Alpha)));
                maxDiff = Math.Max(maxDiff, d);
                if (d <= ChannelTolerance) continue;
                differing++;
                left = Math.Min(left, x);
                right = Math.Max(right, x);
                top = Math.Min(top, y);
                bottom = Math.Max(bottom, y);
            }
        double share = (double)differing / (expected.Width * expected.Height);
        return share > PixelShareTolerance
            ? $"{differing} pixels ({share:P3}) differ by more than {ChannelTolerance} (largest difference {maxDiff}), " +
              $"within x {left}..{right}, y {top}..{bottom}"
            : null;
    }

    private static (string Approved, string Received) Paths(string name, string extension, string source)
    {
        string folder = Path.Combine(Path.GetDirectoryName(source)!, "Snapshots");
        Directory.CreateDirectory(folder);
        return (Path.Combine(folder, $"{name}.approved.{extension}"), Path.Combine(folder, $"{name}.received.{extension}"));
    }

    private static void Conclude(string? problem, string approved, string received, Action writeReceived, Action writeApproved)
    {
        if (problem is null)
        {
            if (File.Exists(received)) File.Delete(received);
            return;
        }
        if (Accepting)
        {
            writeApproved();
            if (File.Exists(received)) File.Delete(received);
            return;
        }
        writeReceived();
        throw new XunitException(
            $"Snapshot {Path.GetFileName(approved)} does not match: {problem}. The output is in {received}. " +
            $"If it is right, accept it with: {AcceptVariable}=1 dotnet test tests/FluentAttrib.Plotting.Tests");
    }
}
