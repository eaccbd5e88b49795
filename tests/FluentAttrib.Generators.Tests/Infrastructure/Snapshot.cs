using System.Text;
using Xunit.Sdk;

namespace FluentAttrib.Generators.Tests.Infrastructure;

/// <summary>
/// Snapshot assertions for generated source. The expected text lives in <c>Snapshots/{name}.verified.cs</c> beside
/// the tests. On a mismatch (or a missing file) the actual text is written to <c>{name}.received.cs</c> (git-ignored)
/// and the test fails with a line diff. To accept: review the <c>.received.cs</c> files and rename them, or run the
/// tests once with <c>FLUENTATTRIB_ACCEPT_SNAPSHOTS=1</c>, which (over)writes the <c>.verified.cs</c> files; then
/// review them with <c>git diff</c> before committing.
/// </summary>
internal static class Snapshot
{
    public const string AcceptVariable = "FLUENTATTRIB_ACCEPT_SNAPSHOTS";
    private const string ProjectFile = "FluentAttrib.Generators.Tests.csproj";

    public static void Match(string actual, string name)
    {
        string directory = Path.Combine(ProjectDirectory(), "Snapshots");
        string verified = Path.Combine(directory, name + ".verified.cs");
        string received = Path.Combine(directory, name + ".received.cs");
        actual = Normalize(actual);

        string? expected = File.Exists(verified) ? Normalize(File.ReadAllText(verified)) : null;
        if (expected == actual)
        {
            File.Delete(received);
            return;
        }
        if (Environment.GetEnvironmentVariable(AcceptVariable) == "1")
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(verified, actual);
            File.Delete(received);
            return;
        }

        Directory.CreateDirectory(directory);
        File.WriteAllText(received, actual);
        var message = new StringBuilder();
        if (expected is null)
            message.Append($"No snapshot {Path.GetFileName(verified)} yet. Received:\n\n{actual}\n");
        else
            message.Append($"Snapshot {Path.GetFileName(verified)} differs (- verified, + received):\n\n{LineDiff.Format(expected, actual)}\n");
        message.Append($"\nWrote {received}.\nTo accept: rename it to .verified.cs, or rerun with {AcceptVariable}=1, then review with git diff.");
        throw new XunitException(message.ToString());
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n").TrimEnd('\n') + "\n";

    private static string ProjectDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, ProjectFile))) return dir.FullName;
        throw new InvalidOperationException($"{ProjectFile} not found above {AppContext.BaseDirectory}.");
    }
}

/// <summary>A line diff (longest common subsequence) showing changed lines with two lines of context.</summary>
internal static class LineDiff
{
    public static string Format(string expected, string actual, int context = 2)
    {
        string[] a = expected.Split('\n'), b = actual.Split('\n');
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (int i = a.Length - 1; i >= 0; i--)
            for (int j = b.Length - 1; j >= 0; j--)
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);

        var lines = new List<(char Kind, string Text)>();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y]) { lines.Add((' ', a[x])); x++; y++; }
            else if (x < a.Length && (y == b.Length || lcs[x + 1, y] >= lcs[x, y + 1])) { lines.Add(('-', a[x])); x++; }
            else { lines.Add(('+', b[y])); y++; }
        }

        var output = new StringBuilder();
        bool skipped = false;
        for (int i = 0; i < lines.Count; i++)
        {
            bool near = false;
            for (int k = Math.Max(0, i - context); k <= Math.Min(lines.Count - 1, i + context) && !near; k++)
                near = lines[k].Kind != ' ';
            if (!near)
            {
                if (!skipped) output.Append("   ...\n");
                skipped = true;
                continue;
            }
            skipped = false;
            output.Append(lines[i].Kind).Append(' ').Append(lines[i].Text).Append('\n');
        }
        return output.ToString();
    }
}
