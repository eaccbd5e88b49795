using Xunit;
using Xunit.Abstractions;

namespace Samples.Tests;

/// <summary>The CompareMethods sample end to end (quick mode: one photo at 112×112) on the pretrained backbone and head.</summary>
public sealed class CompareMethodsTests(ITestOutputHelper output)
{
    [Fact]
    public void Five_methods_are_scored_by_deletion_insertion_road_and_randomisation_and_the_figures_are_written()
    {
        string folder = Path.Combine(Path.GetTempPath(), "compare-methods-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var log = new StringWriter();
            var result = CompareRun.Run(quick: true, folder, log);
            output.WriteLine(log.ToString());
            var report = result.Report;
            Assert.Equal(5, report.Methods.Count);
            Assert.Equal(4, report.Metrics.Count);
            for (int m = 0; m < 5; m++)
            {
                // Deletion and insertion areas of softmax scores lie in [0, 1]; ROAD is an accuracy.
                for (int j = 0; j < 3; j++) Assert.InRange(report.Mean(m, j), 0, 1);
                Assert.NotNull(report.Curve(m, 0));
            }
            // Randomisation: every method given as a method is checked; Grad-CAM joins as a function and cannot be.
            for (int m = 0; m < 4; m++) Assert.InRange(report.Mean(m, 3), 0, 1);
            Assert.True(double.IsNaN(report.Mean(4, 3)));
            Assert.Contains("Most faithful by Deletion", report.ToString());
            Assert.Equal(7, result.Figures.Count);
            foreach (var file in result.Figures)
            {
                var bytes = File.ReadAllBytes(file);
                Assert.True(bytes.Length > 5000 && bytes[1] == (byte)'P' && bytes[2] == (byte)'N' && bytes[3] == (byte)'G', file);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
