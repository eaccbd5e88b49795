namespace FluentAttrib.Generators.Tests;

public class SnapshotHelperTests
{
    [Fact]
    public void Line_diff_shows_removed_then_added_lines_with_context()
    {
        string diff = LineDiff.Format("a\nb\nc\nd\ne\nf\ng\nh", "a\nb\nc\nd\nx\nf\ng\nh", context: 1);
        Assert.Equal("   ...\n  d\n- e\n+ x\n  f\n   ...\n", diff);
    }
}
