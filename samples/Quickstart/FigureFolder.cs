namespace Quickstart;

/// <summary>
/// The output folder. Figures are rendered in memory first; <see cref="WriteAll"/> then writes them all to hidden
/// temporary files in the folder and only when every one is written renames them into place, so a failure leaves
/// no partial figure and no mix of old and new ones (targets that are folders are refused before anything is
/// written; renames within a folder do not fail otherwise).
/// </summary>
internal static class FigureFolder
{
    /// <summary>Fails before any work when <paramref name="dir"/> cannot be an output folder.</summary>
    /// <exception cref="OutputException">It is a file, or its path is not valid.</exception>
    public static string Check(string dir)
    {
        string full;
        try
        {
            full = Path.GetFullPath(dir);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new OutputException($"'{dir}' is not a valid folder path ({e.Message}).");
        }
        if (File.Exists(full)) throw new OutputException($"The output folder {full} is a file.");
        for (string? parent = Path.GetDirectoryName(full); parent is not null; parent = Path.GetDirectoryName(parent))
        {
            if (File.Exists(parent)) throw new OutputException($"The output folder {full} cannot be made: {parent} is a file.");
            if (Directory.Exists(parent)) break;
        }
        return full;
    }

    /// <summary>Writes <paramref name="figures"/> into <paramref name="dir"/> (created if needed); returns their full paths.</summary>
    /// <exception cref="OutputException">A file could not be written; none of the figures was then put in place.</exception>
    public static IReadOnlyList<string> WriteAll(string dir, IReadOnlyList<FigureFile> figures)
    {
        string full = Check(dir);
        foreach (var figure in figures)
        {
            string final = Path.Combine(full, figure.Name);
            if (Directory.Exists(final)) throw new OutputException($"Cannot write the figures to {full}: {final} is a folder.");
        }
        var temporary = new List<(string Temp, string Final)>();
        try
        {
            Directory.CreateDirectory(full);
            foreach (var figure in figures)
            {
                string final = Path.Combine(full, figure.Name);
                string temp = Path.Combine(full, $".{figure.Name}.{Guid.NewGuid():N}.tmp");
                temporary.Add((temp, final));
                using var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None);
                stream.Write(figure.Content);
                stream.Flush(flushToDisk: true);
            }
            foreach (var (temp, final) in temporary) File.Move(temp, final, overwrite: true);
            return [.. temporary.Select(t => t.Final)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            foreach (var (temp, _) in temporary)
            {
                try
                {
                    File.Delete(temp);
                }
                catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
                {
                    // The original error is the one to report.
                }
            }
            throw new OutputException($"Cannot write the figures to {full}: {e.Message}");
        }
    }
}

/// <summary>The output folder cannot be used; the message says why.</summary>
internal sealed class OutputException(string message) : Exception(message);
