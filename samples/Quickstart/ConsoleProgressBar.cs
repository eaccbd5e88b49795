using FluentAttrib;

namespace Quickstart;

/// <summary>
/// Draws "Method [#####.....] 3/8" on one console line, redrawn in place; when the output is not a terminal, prints
/// only the finished line.
/// </summary>
internal sealed class ConsoleProgressBar(TextWriter output, bool interactive) : IProgress<AttributionProgress>
{
    private const int Width = 30;

    public void Report(AttributionProgress value)
    {
        bool done = value.Completed >= value.Total;
        if (!interactive && !done) return;
        int filled = (int)Math.Round(value.Fraction * Width);
        string bar = new string('#', filled) + new string('.', Width - filled);
        output.Write($"{(interactive ? "\r" : "")}  {value.Method,-16} [{bar}] {value.Completed}/{value.Total}");
        if (done) output.WriteLine();
    }
}
