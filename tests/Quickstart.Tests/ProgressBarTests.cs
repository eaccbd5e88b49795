using FluentAttrib;
using Xunit;

namespace Quickstart.Tests;

/// <summary>The console progress bar: redrawn in place on a terminal, one finished line otherwise.</summary>
public sealed class ProgressBarTests
{
    [Fact]
    public void On_a_terminal_the_bar_is_redrawn_on_one_line()
    {
        var output = new StringWriter();
        var bar = new ConsoleProgressBar(output, interactive: true);
        bar.Report(new AttributionProgress("Occlusion", 1, 4));
        bar.Report(new AttributionProgress("Occlusion", 4, 4));
        Assert.Equal(
            "\r  Occlusion        [########......................] 1/4" +
            "\r  Occlusion        [##############################] 4/4" + Environment.NewLine,
            output.ToString());
    }

    [Fact]
    public void Redirected_output_gets_only_the_finished_line()
    {
        var output = new StringWriter();
        var bar = new ConsoleProgressBar(output, interactive: false);
        for (int i = 1; i <= 3; i++) bar.Report(new AttributionProgress("NoiseTunnel", i, 3));
        Assert.Equal("  NoiseTunnel      [##############################] 3/3" + Environment.NewLine, output.ToString());
    }
}
